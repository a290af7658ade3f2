// The `spicedesk` command line: parses arguments, runs one command, maps its outcome to an exit
// code and one line on stderr (a stack trace only with --debug).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isSpiceError, SpiceError } from '../protocol/wire/errors.ts';
import { defaultDisplayOptions } from '../protocol/channels/display/display-channel.ts';
import { ImageCompression } from '../protocol/channels/display/display-messages.ts';
import { runCapture } from './commands/capture.ts';
import { runDemo } from './commands/demo.ts';
import { DO_USAGE, parseDoArgs, runDo } from './commands/do.ts';
import { runInfo } from './commands/info.ts';
import { ExitCode, exitCodeFor } from './node/exit-codes.ts';
import { createLogger, type LogLevel } from './node/logging.ts';
import { CLIPBOARD_USAGE, takeClipboardOption } from './clipboard/clipboard-option.ts';
import { MONITOR_MAPPING_USAGE, monitorMappingArg, takeMonitorMappingOption } from './monitors/mapping-option.ts';
import { caFileForCommand } from './transport/tls-ca-file.ts';
import { SPICEDESK_VERSION } from './connect/version-check.ts';
import { kioskFlagsOf } from '../protocol/policy/kiosk-policy.ts';
import { kioskFlagsFromArgv } from './electron/launch-args.ts';

const VERSION = SPICEDESK_VERSION;

const USAGE = `usage: spicedesk <command> [options]

commands:
  capture TARGET -o FILE.png [--display N] [--timeout SECONDS] [--settle MS] [--delay SECONDS]
          [--compression server|off|auto-glz|auto-lz|quic|glz|lz|lz4] [--small-png]
      connect, wait for the first complete frame of display N (default 0) and until no drawing
      has come for --settle ms (default 0: what arrived with MARK), but at least --delay
      seconds; write it as PNG. --compression asks the server for an image compression
      (PREFERRED_COMPRESSION, when the server allows it); default server: leave the server's
      own setting. A mostly photo-like screen is written uncompressed inside the PNG (fast,
      as large as a PPM); --small-png deflates it anyway (a third smaller, several times slower)
  info TARGET [--json]
      server name, UUID, channels and what spicedesk does with each, mouse modes, agent,
      negotiated capabilities
  demo [TARGET] [-o FILE.png] [--once]
      what the client does today: info and a capture of TARGET; with no TARGET, of a local
      demo Xspice server with an xterm, which stays up until Ctrl+C (--once: stop at once)
${DO_USAGE}
  open [TARGET] [--listen HOST:PORT]
      the desktop client: the Electron window where Electron is installed (built, but not yet
      run on a real Electron), else the web gateway opened in the system's browser; with no
      TARGET, on a local demo Xspice with an xterm
  serve [--listen HOST:PORT] [--open] TARGET... | serve --demo [--open]
      the web gateway: serves the client to a browser, which opens one session per page to
      one of these TARGETs (#target=N in the URL; nothing else). Prints the URL to open, with
      its access token, on the first line. Listens on 127.0.0.1 and a free port by default.
      --demo serves a local demo Xspice instead; --open opens the URL in the system's browser
${CLIPBOARD_USAGE}
${MONITOR_MAPPING_USAGE}
  open and serve also take
    -k, --kiosk   kiosk mode, as remote-viewer's: fullscreen on every head, no window controls,
                  menus, developer tools or quit, no buttons or status bar in the page; only the
                  hotkeys the .vv file names work (no F11, shift+F12, Ctrl+Alt+End defaults).
                  In a browser (serve, or open without Electron) only the page is locked: run the
                  browser in its own kiosk mode (resources/thin-client/README.md)
    --kiosk-quit never|on-disconnect
                  when the session ends: never (default) shows a reconnect screen, which asks for
                  the password again when the TARGET has none; on-disconnect quits the window
                  (a browser page says that the session ended) without reconnecting by itself

TARGET is spice://HOST:PORT, spice://HOST?port=N&tls-port=M, spice+unix:///PATH, a .vv file,
or - to read a .vv file from standard input. The password comes from the target, from
SPICE_PASSWORD, or from a prompt when standard input is a terminal.

options for every command that connects (capture, info, do, open, serve):
  --spice-ca-file FILE   also trust the CA certificates in this PEM file for TLS and wss://,
                         together with the .vv ca (as remote-viewer); without it, the file
                         ~/.spicec/spice_truststore.pem when it exists; with neither, the
                         system's CA store

options for every command:
  -v, --verbose   log progress to stderr (JSON lines)
  --debug         log everything, and print stack traces on errors
  -h, --help      this text
  --version       print the version

not yet implemented (see the README): the desktop window has not run in Electron yet.
exit codes: 0 ok, 1 other, 2 usage, 3 unreachable, 4 authentication, 5 TLS/security,
6 protocol, 7 timed out waiting for the display, 8 the screen did not match (do expect),
9 an agent action failed (do send, clip-get)`;

const common: ParseArgsConfig['options'] = {
  verbose: { type: 'boolean', short: 'v' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  timeout: { type: 'string' },
};

/** Options of the commands that connect to a server. */
const connecting: ParseArgsConfig['options'] = { 'spice-ca-file': { type: 'string' } };
const caFileOf = (values: Values, warn: (line: string) => void) =>
  caFileForCommand(typeof values['spice-ca-file'] === 'string' ? values['spice-ca-file'] : undefined, { warn });

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const warn = (line: string): void => void process.stderr.write(`spicedesk: warning: ${line}\n`);
  try {
    const [command, ...rest] = argv;
    if (!command || command === '-h' || command === '--help' || command === 'help') {
      process.stdout.write(USAGE + '\n');
      return command ? ExitCode.OK : ExitCode.USAGE;
    }
    if (command === '--version') {
      process.stdout.write(`spicedesk ${VERSION}\n`);
      return ExitCode.OK;
    }
    switch (command) {
      case 'capture': {
        const { values, positionals } = parse(rest, {
          ...common,
          ...connecting,
          output: { type: 'string', short: 'o' },
          display: { type: 'string' },
          settle: { type: 'string' },
          delay: { type: 'string' },
          compression: { type: 'string' },
          'small-png': { type: 'boolean' },
        });
        if (values.help) return help();
        const target = onePositional(positionals, 'capture');
        if (typeof values.output !== 'string') throw new SpiceError('usage', 'capture needs an output file: -o FILE.png');
        const caFile = caFileOf(values, warn);
        const logger = await createLogger(levelOf(values));
        await runCapture({
          caFile,
          target,
          output: values.output,
          displayId: intOption(values.display, 'display', 0, 255, 0),
          timeoutMs: intOption(values.timeout, 'timeout', 1, 3600, 10) * 1000,
          settleMs: intOption(values.settle, 'settle', 0, 60_000, 0),
          delayMs: intOption(values.delay, 'delay', 0, 3600, 0) * 1000,
          display: { ...defaultDisplayOptions, compression: compressionOption(values.compression) },
          pngCompression: values['small-png'] ? 'always' : 'auto',
          logger,
          warn,
        });
        return ExitCode.OK;
      }
      case 'info': {
        const { values, positionals } = parse(rest, { ...common, ...connecting, json: { type: 'boolean' } });
        if (values.help) return help();
        const target = onePositional(positionals, 'info');
        const caFile = caFileOf(values, warn);
        const logger = await createLogger(levelOf(values));
        await runInfo({
          caFile,
          target,
          json: Boolean(values.json),
          timeoutMs: intOption(values.timeout, 'timeout', 1, 3600, 10) * 1000,
          logger,
          warn,
          out: (t) => void process.stdout.write(t),
        });
        return ExitCode.OK;
      }
      case 'demo': {
        const { values, positionals } = parse(rest, { ...common, output: { type: 'string', short: 'o' }, once: { type: 'boolean' } });
        if (values.help) return help();
        if (positionals.length > 1) throw new SpiceError('usage', `demo takes at most one TARGET, got ${positionals.length}`);
        const logger = await createLogger(levelOf(values));
        await runDemo({
          target: positionals[0],
          output: typeof values.output === 'string' ? values.output : 'spicedesk-demo.png',
          once: Boolean(values.once),
          logger,
          warn,
          out: (t) => void process.stdout.write(t),
        });
        return ExitCode.OK;
      }
      case 'do': {
        const line = parseDoArgs(rest);
        if (line.help) return help();
        const caFile = caFileForCommand(line.caFile, { warn });
        const logger = await createLogger(levelOf({ verbose: line.verbose, debug: line.debug }));
        return await runDo({ line, caFile, logger, warn, fail: (why) => void process.stderr.write(`spicedesk: ${why}\n`) });
      }
      case 'open':
      case 'serve': {
        // `open` is the desktop client: the Electron window where Electron is installed, else the
        // web gateway in the system's browser; with no TARGET, on a local demo Xspice.
        const isOpen = command === 'open';
        const clipboardPolicy = takeClipboardOption(rest);
        const monitorMapping = takeMonitorMappingOption(rest);
        if (isOpen && !rest.includes('--help') && !rest.includes('-h')) {
          const electron = electronBinary();
          // The window does not enforce it yet: refused rather than silently ignored.
          if (electron && clipboardPolicy) throw new SpiceError('usage', 'the desktop window does not take --clipboard yet; use spicedesk serve --open --clipboard ... TARGET');
          if (electron && rest.some((a) => a.startsWith('--spice-ca-file'))) {
            throw new SpiceError('usage', 'the desktop window does not take --spice-ca-file yet; use spicedesk serve --open --spice-ca-file FILE TARGET');
          }
          const kioskArgs = kioskFlagsFromArgv(['spicedesk', ...rest]);
          if ('error' in kioskArgs) throw new SpiceError('usage', kioskArgs.error);
          if (electron) return await runElectron(electron, monitorMapping ? [monitorMappingArg(monitorMapping), ...rest] : rest);
        }
        const { values, positionals } = parse(rest, { ...common, ...connecting, listen: { type: 'string' }, kiosk: { type: 'boolean', short: 'k' }, 'kiosk-quit': { type: 'string' }, ...(isOpen ? {} : { demo: { type: 'boolean' }, open: { type: 'boolean' } }) });
        if (values.help) return help();
        if (isOpen && positionals.length > 1) throw new SpiceError('usage', `open takes at most one TARGET, got ${positionals.length}`);
        await runServe({
          caFile: caFileOf(values, warn),
          targets: positionals,
          listen: typeof values.listen === 'string' ? values.listen : undefined,
          demo: isOpen ? positionals.length === 0 : Boolean(values.demo),
          open: isOpen || Boolean(values.open),
          clipboardPolicy,
          monitorMapping,
          kiosk: kioskFlagsOf(values.kiosk, values['kiosk-quit'], warn),
          timeoutMs: intOption(values.timeout, 'timeout', 1, 3600, 10) * 1000,
          logger: await createLogger(levelOf(values)),
          warn,
          out: (t) => void process.stdout.write(t),
        });
        return ExitCode.OK;
      }
      default:
        throw new SpiceError('usage', `unknown command "${command}"; run spicedesk --help`);
    }
  } catch (e) {
    return report(e, debug);
  }
}

/**
 * The gateway (and its WebSocket library) is a bundle of its own, dist/serve.cjs, loaded only by
 * `serve` and `open`: the other commands start faster without it.
 */
function runServe(o: import('./commands/serve.ts').ServeOptions): Promise<void> {
  // A run-time path, so esbuild leaves this require alone instead of bundling the gateway here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const serve = require(join(__dirname, 'serve.cjs')) as typeof import('./commands/serve.ts');
  return serve.runServe(o);
}

/** The Electron binary of the electron package, when it was installed with its binary. */
function electronBinary(): string | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path: unknown = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    // Installed without its binary (ELECTRON_SKIP_BINARY_DOWNLOAD), or not at all.
    return null;
  }
}

/** Runs the Electron window (dist/electron-main.cjs) with the same arguments; its exit is ours. */
function runElectron(binary: string, args: string[]): Promise<number> {
  const app = join(__dirname, '..');
  return new Promise((resolve) => {
    // Loaded here: every other command would pay for child_process at start-up.
    const { spawn } = process.getBuiltinModule('node:child_process');
    const child = spawn(binary, [app, ...args.filter((a) => a !== '--')], { stdio: 'inherit' });
    child.on('error', (e) => {
      process.stderr.write(`spicedesk: cannot start Electron (${e.message})\n`);
      resolve(ExitCode.OTHER);
    });
    child.on('exit', (code) => resolve(code ?? ExitCode.OTHER));
  });
}

function help(): number {
  process.stdout.write(USAGE + '\n');
  return ExitCode.OK;
}

type Values = Record<string, string | boolean | undefined>;

function parse(args: string[], options: ParseArgsConfig['options']): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: r.values as Values, positionals: r.positionals };
  } catch (e) {
    throw new SpiceError('usage', (e as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
}

function levelOf(values: Record<string, unknown>): LogLevel {
  if (values.debug) return 'debug';
  if (values.verbose) return 'info';
  return 'silent';
}

function onePositional(positionals: string[], command: string): string {
  if (positionals.length === 0) throw new SpiceError('usage', `${command} needs a TARGET (a spice:// URI, a .vv file or -)`);
  if (positionals.length > 1) throw new SpiceError('usage', `${command} takes one TARGET, got ${positionals.length}: ${positionals.join(' ')}`);
  return positionals[0];
}

function intOption(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < min || n > max) {
    throw new SpiceError('usage', `--${name} must be a whole number from ${min} to ${max}, got "${String(value)}"`);
  }
  return n;
}

const compressionNames: Record<string, number | null> = {
  server: null,
  off: ImageCompression.OFF,
  'auto-glz': ImageCompression.AUTO_GLZ,
  'auto-lz': ImageCompression.AUTO_LZ,
  quic: ImageCompression.QUIC,
  glz: ImageCompression.GLZ,
  lz: ImageCompression.LZ,
  lz4: ImageCompression.LZ4,
};

function compressionOption(value: unknown): number | null {
  if (value === undefined) return defaultDisplayOptions.compression;
  const n = typeof value === 'string' && value in compressionNames ? compressionNames[value] : undefined;
  if (n === undefined) throw new SpiceError('usage', `--compression must be one of ${Object.keys(compressionNames).join(', ')}, got "${String(value)}"`);
  return n;
}

function report(e: unknown, debug: boolean): number {
  if (isSpiceError(e)) {
    process.stderr.write(`spicedesk: ${e.message}\n`);
    if (debug && e.stack) process.stderr.write(e.stack + '\n');
    return exitCodeFor(e.kind);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`spicedesk: unexpected error: ${err.message}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && err.stack) process.stderr.write(err.stack + '\n');
  return ExitCode.OTHER;
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Sockets of a finished session must not keep the process alive.
  setImmediate(() => process.exit(code));
});
