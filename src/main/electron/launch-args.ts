// What the Electron app was asked to open: TARGETs on its command line (from a shell, a desktop
// launcher's %u, or Windows' file association), a second instance's, or macOS's open-file and
// open-url events. Each TARGET becomes one session window; resolving it (reading the .vv file,
// parsing the URI) happens later, per window, so that a bad one shows its error in its window.
import { isAbsolute, resolve } from 'node:path';
import { NOT_KIOSK, parseFileTransfer, parseKioskQuit, type FileTransferPolicy, type KioskFlags } from '../../protocol/policy/kiosk-policy.ts';
import { USB_SWITCHES } from './usb-args.ts';

/** More than this many windows from one launch is a mistake (a glob gone wrong), not a wish. */
export const MAX_TARGETS_PER_LAUNCH = 16;
/** Longer than any path or URI a person gives. */
export const MAX_TARGET_CHARS = 4096;

export interface LaunchTargets {
  /** URIs as given, paths made absolute. */
  targets: string[];
  /** Arguments dropped, with why, for the log. */
  ignored: string[];
}

const KIOSK_QUIT = '--kiosk-quit';
/** `--file-transfer none|to-guest` (or `=`), handed over by `spicedesk open`. */
export const FILE_TRANSFER_ARG = '--file-transfer';
/** Switches whose value is the next argument, not a TARGET (their own modules read them). */
const SWITCHES_WITH_VALUE: ReadonlySet<string> = new Set([KIOSK_QUIT, '--clipboard', FILE_TRANSFER_ARG, ...USB_SWITCHES]);
const URI = /^(spice|spice\+tls|spice\+unix|file):\/\//i;
const SPICE_URI = /^(spice|spice\+tls|spice\+unix):\/\//i;

/**
 * One argument as a TARGET, relative paths resolved against `cwd` (the second instance's own
 * working directory, not ours); null with a reason when it cannot be one.
 */
export function targetOf(arg: string, cwd: string): { target: string } | { why: string } {
  if (arg.length > MAX_TARGET_CHARS) return { why: `longer than ${MAX_TARGET_CHARS} characters` };
  if (/[\u0000-\u001f\u007f]/.test(arg)) return { why: 'has control characters' };
  if (arg.trim() === '') return { why: 'empty' };
  if (URI.test(arg)) return { target: arg };
  // Any other scheme (http:, javascript:, a mistyped spicee://) is not something to open.
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(arg)) return { why: 'not a spice://, spice+tls://, spice+unix:// or file:// URI' };
  return { target: isAbsolute(arg) ? arg : resolve(cwd, arg) };
}

/**
 * TARGETs on an Electron command line. `argv[0]` is the executable; when Electron runs an app
 * from a folder (`electron . TARGET`, process.defaultApp) the first positional is the app's path.
 * Chromium and Electron switches (`--no-sandbox`, `--original-process-start-time=…`, macOS's
 * `-psn_…`) are dropped, as is `-`: a window has no standard input to read a .vv file from.
 */
export function targetsFromArgv(argv: readonly string[], o: { defaultApp: boolean; cwd: string }): LaunchTargets {
  const out: LaunchTargets = { targets: [], ignored: [] };
  let skipAppPath = o.defaultApp;
  let switchesDone = false;
  let skipNext = false;
  const firstUserArg = o.defaultApp ? 2 : 1;
  for (const [i, arg] of argv.entries()) {
    if (i === 0) continue;
    // `spicedesk open [switches] TARGET` in the installed app is the window, as from the CLI.
    if (i === firstUserArg && arg === OPEN_COMMAND) continue;
    if (!switchesDone && arg === '--') {
      switchesDone = true;
      continue;
    }
    if (!switchesDone && SWITCHES_WITH_VALUE.has(arg)) {
      // Its value is the next argument, not a TARGET.
      skipNext = true;
      continue;
    }
    if (skipNext) {
      skipNext = false;
      continue;
    }
    if (!switchesDone && arg.startsWith('-')) {
      if (arg === '-') out.ignored.push('-: a window cannot read a .vv file from standard input');
      continue;
    }
    if (skipAppPath) {
      skipAppPath = false;
      continue;
    }
    add(out, arg, o.cwd);
  }
  return out;
}

/** The command that is the window itself (commands/open-command.ts): a leading `open` is dropped. */
export const OPEN_COMMAND = 'open';

/**
 * The command-line commands (commands/table.ts, but `open`) and the help and version switches,
 * which the installed app runs itself: its executable is the only `spicedesk` a package installs,
 * and with the RunAsNode fuse off it cannot be made a plain Node to run bin/spicedesk.cjs.
 */
export const APP_COMMAND_LINE_WORDS: ReadonlySet<string> = new Set(['capture', 'info', 'demo', 'do', 'serve', 'console', 'usb', 'help', '--help', '-h', '--version']);

/**
 * The arguments for the command line (dist/cli.cjs) when the app was started as one: its first
 * argument (after the app's folder when Electron runs one, `electron . capture ...`) is a command.
 * Only the first: the desktop entry (`--from-link -- %U`), the kiosk session (`--kiosk ... --
 * TARGET`) and Windows' association (an absolute path) never start with a bare word, and a file
 * named like a command opens as `spicedesk ./capture` or `spicedesk -- capture`. Null: the window.
 */
export function commandLineOf(argv: readonly string[], o: { defaultApp: boolean }): string[] | null {
  const args = argv.slice(o.defaultApp ? 2 : 1);
  return args.length > 0 && APP_COMMAND_LINE_WORDS.has(args[0]) ? args : null;
}

function add(out: LaunchTargets, arg: string, cwd: string): void {
  const t = targetOf(arg, cwd);
  if ('why' in t) out.ignored.push(`${arg.slice(0, 80)}: ${t.why}`);
  else if (out.targets.length >= MAX_TARGETS_PER_LAUNCH) out.ignored.push(`${arg.slice(0, 80)}: more than ${MAX_TARGETS_PER_LAUNCH} targets at once`);
  else out.targets.push(t.target);
}

/**
 * `--kiosk` (`-k`), `--kiosk-quit never|on-disconnect` and `--file-transfer none|to-guest` (or
 * `--name=...`) on an Electron command line, before `--`. A wrong value is an error, not a guess: a
 * kiosk that quits when it should not (or the reverse), or that takes files it was told to refuse,
 * is worse than one that does not start.
 */
export function kioskFlagsFromArgv(argv: readonly string[]): { flags: KioskFlags } | { error: string } {
  let kiosk = false;
  let quit: string | undefined;
  let files: string | undefined;
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') break;
    if (arg === '--kiosk' || arg === '-k') kiosk = true;
    else if (arg === KIOSK_QUIT) {
      quit = args[++i];
      if (quit === undefined) return { error: '--kiosk-quit needs a value: never or on-disconnect' };
    } else if (arg.startsWith(`${KIOSK_QUIT}=`)) quit = arg.slice(KIOSK_QUIT.length + 1);
    else if (arg === FILE_TRANSFER_ARG) {
      files = args[++i];
      if (files === undefined) return { error: '--file-transfer needs a value: none or to-guest' };
    } else if (arg.startsWith(`${FILE_TRANSFER_ARG}=`)) files = arg.slice(FILE_TRANSFER_ARG.length + 1);
  }
  try {
    const fileTransfer: FileTransferPolicy | undefined = files === undefined ? undefined : parseFileTransfer(files);
    return {
      flags: { kiosk, kioskQuit: quit === undefined ? NOT_KIOSK.kioskQuit : parseKioskQuit(quit), ...(fileTransfer === undefined ? {} : { fileTransfer }) },
    };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** What a second instance hands the first (requestSingleInstanceLock's additionalData). */
export type InstanceData = { targets: string[] };

export function instanceData(targets: readonly string[]): InstanceData {
  return { targets: [...targets] };
}

/**
 * The additionalData of 'second-instance', checked: another process wrote it (the user's own, but
 * still not this one), so it gets the same bounds as a command line. Null when it is not ours.
 */
export function parseInstanceData(data: unknown): InstanceData | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const keys = Reflect.ownKeys(data);
  if (keys.length !== 1 || keys[0] !== 'targets') return null;
  const targets = (data as { targets?: unknown }).targets;
  if (!Array.isArray(targets) || targets.length > MAX_TARGETS_PER_LAUNCH) return null;
  const out: string[] = [];
  for (const t of targets) {
    // The second instance resolved its paths already; anything relative here is not from it.
    if (typeof t !== 'string') return null;
    const checked = targetOf(t, '/');
    if ('why' in checked || (!URI.test(t) && !isAbsolute(t))) return null;
    out.push(t);
  }
  return { targets: out };
}

/** The TARGETs of a second instance: its additionalData when it is valid, else its argv. */
export function secondInstanceTargets(argv: readonly string[], cwd: string, data: unknown, defaultApp: boolean): LaunchTargets {
  const parsed = parseInstanceData(data);
  if (parsed) return { targets: parsed.targets, ignored: [] };
  return targetsFromArgv(argv, { defaultApp, cwd });
}

/** macOS's open-url: only the SPICE schemes the app registers for. */
export function targetOfOpenUrl(url: string): string | null {
  if (url.length > MAX_TARGET_CHARS || /[\u0000-\u001f\u007f]/.test(url)) return null;
  return SPICE_URI.test(url) ? url : null;
}

/** macOS's open-file: an absolute path (Finder gives nothing else). */
export function targetOfOpenFile(path: string): string | null {
  if (path.length > MAX_TARGET_CHARS || /[\u0000-\u001f\u007f]/.test(path) || !isAbsolute(path)) return null;
  return path;
}
