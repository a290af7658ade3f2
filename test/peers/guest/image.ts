// Builds the guest's initramfs at test time from the host's Debian packages, and caches it.
// busybox-static is the userland; each listed tool comes with the shared libraries ldd finds
// (and the ELF interpreter); ALSA's configuration comes along when a tool links libasound; each
// listed kernel module comes with its dependencies in load order (modprobe --show-depends against
// the host's Debian kernel, whose /boot/vmlinuz the guest boots). The image is cached under
// node_modules/.cache/spicedesk-guest/<hash of the inputs>/ (or $SPICEDESK_GUEST_CACHE), built
// in a temporary folder renamed into place, so that two test files building the same image at
// once both end up with a whole one.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { requireFile, requireTool } from '../require-tool.ts';
import { cpioNewc, type CpioEntry } from './cpio.ts';
import { GUEST_INIT, GUEST_SHELL_LOOP, INIT_SCRIPT_PATH, MODULE_LIST_PATH, SHELL_LOOP_PATH } from './init.ts';

/** Bumped when the builder's output changes for the same inputs (the init texts count already). */
const BUILDER_VERSION = 1;
const KERNEL_PACKAGE = 'linux-image-amd64';

/** A program for the guest: a name looked up in PATH, with the Debian package that provides it. */
export type GuestTool = string | { name: string; debianPackage: string };

/** Which Debian package has the tools tests ask for by name only. */
const TOOL_PACKAGES: Record<string, string> = {
  aplay: 'alsa-utils', arecord: 'alsa-utils', amixer: 'alsa-utils', alsactl: 'alsa-utils', 'speaker-test': 'alsa-utils',
  sox: 'sox', cpio: 'cpio',
};

export interface GuestImageInputs {
  /** Kernel module names (as modprobe takes them); each comes with its dependencies, loaded first. */
  modules?: readonly string[];
  tools?: readonly GuestTool[];
  /** Extra files: guest path -> content (a string is UTF-8 text); content starting with `#!` is executable. */
  files?: Readonly<Record<string, Uint8Array | string>>;
  /** Shell script run by /init after the modules load and before the command loop starts. */
  initScript?: string;
}

export interface GuestImage {
  readonly kernel: string;
  readonly kernelVersion: string;
  readonly initrd: string;
  /** The cache key (sha256 of the inputs). */
  readonly key: string;
  /** True when the image was already in the cache. */
  readonly fromCache: boolean;
  /** Time spent here, lookup or build. */
  readonly elapsedMs: number;
  readonly initrdBytes: number;
  /** Guest paths of the modules in the order init loads them. */
  readonly moduleOrder: readonly string[];
}

interface ResolvedTool {
  name: string;
  path: string;
  debianPackage: string;
}

export function guestCacheDir(): string {
  return process.env.SPICEDESK_GUEST_CACHE
    ?? fileURLToPath(new URL('../../../node_modules/.cache/spicedesk-guest/', import.meta.url));
}

/**
 * The Debian kernel the guest boots: a version that has both /lib/modules/<v> and /boot/vmlinuz-<v>
 * (the newest when several do).
 */
export function hostKernel(): { version: string; kernel: string } {
  const versions = existsSync('/lib/modules')
    ? readdirSync('/lib/modules').filter((v) => existsSync(`/boot/vmlinuz-${v}`))
    : [];
  if (versions.length === 0) {
    throw new Error(`no Debian kernel with its modules (/boot/vmlinuz-V and /lib/modules/V): run \`apt-get install ${KERNEL_PACKAGE}\` (or bash .ci/run)`);
  }
  versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const version = versions[versions.length - 1];
  return { version, kernel: requireFile(`/boot/vmlinuz-${version}`, KERNEL_PACKAGE, 'the guest kernel') };
}

function resolveTool(tool: GuestTool): ResolvedTool {
  const name = typeof tool === 'string' ? tool : tool.name;
  const debianPackage = typeof tool === 'string' ? TOOL_PACKAGES[name] : tool.debianPackage;
  if (!debianPackage) throw new Error(`guest tool ${name}: say which Debian package provides it ({ name, debianPackage })`);
  return { name, debianPackage, path: requireTool(name, debianPackage) };
}

/** The shared libraries and ELF interpreter a binary loads, by ldd (none for a static binary). */
export function sharedLibraries(binary: string, debianPackage: string): string[] {
  let output: string;
  try {
    output = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const text = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    if (/not a dynamic executable|statically linked/.test(text)) return [];
    throw new Error(`ldd ${binary} failed (${debianPackage}): ${text || (error as Error).message}`);
  }
  const libraries: string[] = [];
  for (const line of output.split('\n')) {
    if (/=>\s*not found/.test(line)) throw new Error(`${binary} (${debianPackage}) needs a library that is not installed: ${line.trim()}`);
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (match) libraries.push(match[1]);
  }
  return libraries;
}

/** The .ko files that loading `modules` takes, dependencies first, each once. */
export function moduleLoadOrder(kernelVersion: string, modules: readonly string[]): string[] {
  const order: string[] = [];
  for (const module of modules) {
    let output: string;
    try {
      output = execFileSync(requireTool('modprobe', 'kmod'), ['-S', kernelVersion, '--show-depends', module], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
      throw new Error(`kernel module ${module} for ${kernelVersion}: ${stderr} (the modules come with ${KERNEL_PACKAGE}; modprobe with kmod)`);
    }
    for (const line of output.split('\n')) {
      const match = /^insmod (\S+)/.exec(line.trim());
      if (!match) continue; // "builtin X": part of the kernel itself
      if (!/\.ko$/.test(match[1])) throw new Error(`kernel module ${match[1]} is compressed; busybox insmod takes plain .ko files only`);
      if (!order.includes(match[1])) order.push(match[1]);
    }
  }
  return order;
}

/** What makes two images the same: anything that changes the bytes of the initramfs or the kernel booted. */
function cacheKey(kernelVersion: string, kernel: string, busybox: string, tools: readonly ResolvedTool[], inputs: GuestImageInputs): string {
  const hash = createHash('sha256');
  const fileStamp = (path: string): string => {
    const stat = statSync(path);
    return `${path}:${stat.size}:${stat.mtimeMs}`;
  };
  hash.update(JSON.stringify({
    builder: BUILDER_VERSION,
    init: GUEST_INIT,
    shell: GUEST_SHELL_LOOP,
    kernelVersion,
    kernel: fileStamp(kernel),
    busybox: fileStamp(busybox),
    tools: tools.map((tool) => fileStamp(tool.path)),
    modules: inputs.modules ?? [],
    initScript: inputs.initScript ?? '',
  }));
  for (const [path, content] of Object.entries(inputs.files ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`\0file\0${path}\0`);
    hash.update(typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
  }
  return hash.digest('hex').slice(0, 32);
}

/** A host folder as it is, symlinks kept as symlinks (ALSA's ucm2 tree links between its folders). */
function treeEntries(root: string): CpioEntry[] {
  const entries: CpioEntry[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) entries.push(...treeEntries(path));
    else if (entry.isSymbolicLink()) entries.push({ kind: 'symlink', path, target: readlinkSync(path) });
    else entries.push({ kind: 'file', path, data: readFileSync(path), mode: 0o644 });
  }
  return entries;
}

function assembleImage(kernelVersion: string, busybox: string, tools: readonly ResolvedTool[], inputs: GuestImageInputs): { archive: Buffer; moduleOrder: string[] } {
  const entries: CpioEntry[] = [];
  // Host paths keep their place in the guest; readFileSync follows symlinks (libc.so.6 -> the real file).
  const copyHostFile = (path: string, mode = 0o755): void => {
    entries.push({ kind: 'file', path, data: readFileSync(path), mode });
  };
  copyHostFile(busybox);
  const libraries = new Set<string>(sharedLibraries(busybox, 'busybox-static'));
  for (const tool of tools) {
    copyHostFile(tool.path);
    for (const library of sharedLibraries(tool.path, tool.debianPackage)) libraries.add(library);
  }
  for (const library of libraries) copyHostFile(library);
  if ([...libraries].some((library) => /\/libasound\.so/.test(library))) {
    const alsa = requireFile('/usr/share/alsa/alsa.conf', 'libasound2-data', 'ALSA configuration');
    entries.push(...treeEntries(dirname(alsa)));
  }
  const moduleOrder = moduleLoadOrder(kernelVersion, inputs.modules ?? []);
  for (const module of moduleOrder) copyHostFile(module, 0o644);
  entries.push({ kind: 'file', path: MODULE_LIST_PATH, data: Buffer.from(moduleOrder.map((m) => `${m}\n`).join('')) });
  if (inputs.initScript) entries.push({ kind: 'file', path: INIT_SCRIPT_PATH, data: Buffer.from(inputs.initScript), mode: 0o755 });
  entries.push({ kind: 'file', path: SHELL_LOOP_PATH, data: Buffer.from(GUEST_SHELL_LOOP), mode: 0o755 });
  for (const [path, content] of Object.entries(inputs.files ?? {})) {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const executable = data.length >= 2 && data[0] === 0x23 && data[1] === 0x21; // "#!"
    entries.push({ kind: 'file', path, data, mode: executable ? 0o755 : 0o644 });
  }
  entries.push({ kind: 'file', path: '/init', data: Buffer.from(GUEST_INIT), mode: 0o755 });
  for (const dir of ['/proc', '/sys', '/dev', '/tmp', '/root', '/run']) entries.push({ kind: 'dir', path: dir });
  return { archive: cpioNewc(entries), moduleOrder };
}

/** Returns the cached image for these inputs, building it first when it is not there. */
export function buildGuestImage(inputs: GuestImageInputs = {}): GuestImage {
  const started = Date.now();
  const { version: kernelVersion, kernel } = hostKernel();
  const busybox = requireTool('/bin/busybox', 'busybox-static');
  const tools = (inputs.tools ?? []).map(resolveTool);
  const key = cacheKey(kernelVersion, kernel, busybox, tools, inputs);
  const cache = guestCacheDir();
  const dir = join(cache, key);
  const initrd = join(dir, 'initrd.cpio.gz');
  const manifest = join(dir, 'manifest.json');
  const result = (fromCache: boolean): GuestImage => {
    const { moduleOrder } = JSON.parse(readFileSync(manifest, 'utf8')) as { moduleOrder: string[] };
    return { kernel, kernelVersion, initrd, key, fromCache, elapsedMs: Date.now() - started, initrdBytes: statSync(initrd).size, moduleOrder };
  };
  if (existsSync(manifest)) return result(true);

  mkdirSync(cache, { recursive: true });
  const building = join(cache, `.build-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(building);
  try {
    const { archive, moduleOrder } = assembleImage(kernelVersion, busybox, tools, inputs);
    // gzip -1: the kernel unpacks it in a fraction of a second even under TCG, at about half the size.
    writeFileSync(join(building, 'initrd.cpio.gz'), gzipSync(archive, { level: 1 }));
    writeFileSync(join(building, 'manifest.json'), `${JSON.stringify({
      kernelVersion, moduleOrder, tools: tools.map((t) => t.path), files: Object.keys(inputs.files ?? {}), builtAt: new Date().toISOString(),
    }, null, 2)}\n`);
    try {
      renameSync(building, dir);
    } catch (error) {
      // Another process renamed the same image into place first: theirs is as good as ours.
      if (!existsSync(manifest)) throw error;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return result(false);
}
