// The TARGET of the command line and the app: a spice:// URI, a .vv file, or `-` for a .vv file on
// standard input, resolved to a ConnectionProfile; and the password for it.
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  looksLikeUri,
  asksToBeDeleted,
  MAX_VV_BYTES,
  parseProxyUrl,
  parseSpiceUri,
  parseVvBytes,
  type ConnectionProfile,
} from '../../protocol/profile/index.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { readUserFile, UserFileProblem } from '../node/user-file.ts';
import { applyDeleteThisFile } from './vv-lifecycle.ts';

export interface ResolvedTarget {
  profile: ConnectionProfile;
  /** Absolute path of the .vv file the profile came from (not set for URIs and stdin). */
  vvPath?: string;
}

export interface TargetIo {
  /** Where `-` reads from; process.stdin by default. */
  stdin?: NodeJS.ReadableStream;
  /** For SPICE_PROXY; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Reads a whole file; by default a reader that stops past MAX_VV_BYTES. */
  readFile?: (path: string) => Promise<Uint8Array>;
}

const TARGET_FORMS =
  'TARGET is a spice://, spice+tls://, spice+unix://, ws:// or wss:// URI, a .vv file (a path or a file:// URL), or - to read a .vv file from standard input';

/** A TARGET as shown in titles, logs and messages: without a password in its query or user part. */
export function targetLabel(arg: string): string {
  return arg.replace(/([?&]password=)[^&]*/i, '$1***').replace(/\/\/[^@/]*@/, '//***@');
}

export async function resolveTarget(arg: string, io: TargetIo = {}): Promise<ResolvedTarget> {
  const env = io.env ?? process.env;
  if (arg.trim() === '') throw new SpiceError('usage', `no TARGET given; ${TARGET_FORMS}`);
  let resolved: ResolvedTarget;
  if (/^file:\/\//i.test(arg)) {
    // Desktop launchers (Exec=... %u) hand over a double-clicked .vv file as a file:// URI.
    let path: string;
    try {
      path = fileURLToPath(arg);
    } catch (e) {
      throw new SpiceError('usage', `cannot use "${arg}": ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const bytes = await readVvFile(path, io.readFile);
    resolved = { profile: await parseVvOnDisk(bytes, `.vv file "${path}"`, path, env), vvPath: resolvePath(path) };
  } else if (looksLikeUri(arg)) {
    resolved = { profile: parseSpiceUri(arg) };
  } else if (arg === '-') {
    const bytes = await readStream(io.stdin ?? process.stdin);
    resolved = { profile: parseNamed(bytes, '.vv file on standard input') };
  } else {
    const vvPath = resolvePath(arg);
    const bytes = await readVvFile(arg, io.readFile);
    resolved = { profile: await parseVvOnDisk(bytes, `.vv file "${arg}"`, arg, env), vvPath };
  }
  applyProxyFromEnv(resolved.profile, env);
  return resolved;
}

/** spice-gtk falls back to SPICE_PROXY when the connection names no proxy; so do we. */
function applyProxyFromEnv(profile: ConnectionProfile, env: NodeJS.ProcessEnv): void {
  const fromEnv = env.SPICE_PROXY;
  if (profile.proxy !== undefined || profile.unixPath !== undefined || !fromEnv) return;
  const checked = parseProxyUrl(fromEnv);
  if (!checked.ok) throw new SpiceError('usage', `the SPICE_PROXY environment variable ${checked.problem}`);
  profile.proxy = fromEnv.trim();
}

/**
 * Parse a .vv file read from disk. One that is refused but asks to be deleted (delete-this-file=1)
 * is deleted all the same, and the error says so: it may hold a one-time password.
 */
async function parseVvOnDisk(bytes: Uint8Array, name: string, path: string, env: NodeJS.ProcessEnv): Promise<ConnectionProfile> {
  try {
    return parseNamed(bytes, name);
  } catch (e) {
    if (!(e instanceof SpiceError) || e.kind !== 'usage' || !asksToBeDeleted(new TextDecoder().decode(bytes))) throw e;
    const notes: string[] = [];
    const outcome = await applyDeleteThisFile({ profile: { source: 'vv', deleteThisFile: true }, vvPath: resolvePath(path) }, { env, warn: (line) => notes.push(line) });
    const said =
      outcome === 'deleted'
        ? 'the file asked to be deleted (delete-this-file=1), and was'
        : outcome === 'kept'
          ? 'the file asks to be deleted (delete-this-file=1); VIRT_VIEWER_KEEP_FILE keeps it'
          : notes.join('; ');
    throw new SpiceError('usage', `${e.message}; ${said}`, { cause: e });
  }
}

/** Parse, and say which file the messages are about. */
function parseNamed(bytes: Uint8Array, name: string): ConnectionProfile {
  const rename = (message: string): string => message.replace(/^\.vv file\b/, name);
  try {
    const profile = parseVvBytes(bytes);
    profile.warnings = profile.warnings.map(rename);
    return profile;
  } catch (e) {
    if (e instanceof SpiceError && e.kind === 'usage') throw new SpiceError('usage', rename(e.message), { cause: e });
    throw e;
  }
}

async function readVvFile(path: string, readFile?: (path: string) => Promise<Uint8Array>): Promise<Uint8Array> {
  try {
    return await (readFile ?? readCapped)(path);
  } catch (e) {
    if (e instanceof SpiceError) throw e;
    throw new SpiceError('usage', describeReadError(path, e), { cause: e });
  }
}

function describeReadError(path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const prefix = `cannot read the .vv file "${path}"`;
  if (code === 'ENOENT') {
    const hostPort = /^[A-Za-z0-9.-]+:[0-9]+$/.test(path) ? `; did you mean spice://${path} ?` : `; ${TARGET_FORMS}`;
    return `${prefix}: it does not exist${hostPort}`;
  }
  if (code === 'EACCES' || code === 'EPERM') return `${prefix}: permission denied`;
  if (code === 'EISDIR') return `${prefix}: it is a directory`;
  if (code === 'ENOTDIR') return `${prefix}: a part of the path is not a directory`;
  return `${prefix}: ${e instanceof Error ? e.message : String(e)}`;
}

/** A regular file of at most 1 MiB; a FIFO, a device or anything larger is refused at once. */
async function readCapped(path: string): Promise<Uint8Array> {
  try {
    return readUserFile(path, MAX_VV_BYTES);
  } catch (e) {
    if (!(e instanceof UserFileProblem) || e.code) throw e;
    if (e.size !== undefined) {
      throw new SpiceError('usage', `.vv file "${path}" is ${e.size} bytes; a connection file is at most ${MAX_VV_BYTES} bytes (1 MiB)`);
    }
    throw new SpiceError('usage', `cannot read the .vv file "${path}": it ${e.reason}; give standard input as - to read a .vv file from a pipe`);
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
    total += bytes.byteLength;
    // One byte past the limit is enough for the parser to refuse it with the right message.
    if (total > MAX_VV_BYTES) {
      chunks.push(bytes.subarray(0, bytes.byteLength - (total - MAX_VV_BYTES - 1)));
      break;
    }
    chunks.push(bytes);
  }
  const out = new Uint8Array(Math.min(total, MAX_VV_BYTES + 1));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export interface TtyInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface PasswordIo {
  env?: NodeJS.ProcessEnv;
  stdin?: TtyInput;
  /** Where the prompt goes; process.stderr by default. */
  stderr?: NodeJS.WritableStream;
  /** Whether stdin is a terminal; stdin.isTTY by default. */
  isTTY?: boolean;
}

/**
 * The password, in this order: the profile's own, SPICE_PASSWORD, a prompt with echo off when
 * stdin is a terminal; otherwise undefined. The value is never written anywhere.
 */
export async function resolvePassword(profile: ConnectionProfile, io: PasswordIo = {}): Promise<string | undefined> {
  if (profile.password !== undefined) return profile.password;
  const env = io.env ?? process.env;
  if (env.SPICE_PASSWORD !== undefined) return env.SPICE_PASSWORD;
  const stdin = io.stdin ?? (process.stdin as TtyInput);
  const isTTY = io.isTTY ?? stdin.isTTY === true;
  if (!isTTY) return undefined;
  return promptHidden(stdin, io.stderr ?? process.stderr, `Password for ${describeServer(profile)}: `);
}

function describeServer(profile: ConnectionProfile): string {
  const where = profile.unixPath ?? profile.host ?? 'the SPICE server';
  return where.length > 60 ? `${where.slice(0, 57)}...` : where;
}

/** Reads one line from a terminal in raw mode, so nothing typed is echoed. */
function promptHidden(stdin: TtyInput, stderr: NodeJS.WritableStream, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const wasRaw = stdin.isRaw === true;
    let typed = '';
    let inEscape = false;
    const finish = (): void => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.setRawMode?.(wasRaw);
      stdin.pause();
      stderr.write('\n');
    };
    const cancel = (how: string): void => {
      finish();
      reject(new SpiceError('usage', `password entry cancelled (${how})`));
    };
    const onEnd = (): void => cancel('end of input');
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      for (const ch of text) {
        if (inEscape) {
          // Skip terminal escape sequences (arrow keys and the like) up to their final byte.
          if (/[A-Za-z~]/.test(ch)) inEscape = false;
          continue;
        }
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(typed);
          return;
        }
        if (ch === '\u0003') return cancel('Ctrl+C');
        if (ch === '\u0004') {
          if (typed === '') return cancel('Ctrl+D');
          continue;
        }
        if (ch === '\u007f' || ch === '\b') {
          typed = [...typed].slice(0, -1).join('');
        } else if (ch === '\u0015') {
          typed = '';
        } else if (ch === '\u001b') {
          inEscape = true;
        } else if (ch >= ' ') {
          typed += ch;
        }
      }
    };
    stderr.write(question);
    stdin.setRawMode?.(true);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}
