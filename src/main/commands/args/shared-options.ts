// The options and operands that several commands take, each defined once: the commands list the
// ones they take, and the help groups them by the commands that take them.
import {
  FILE_TRANSFER_VALUES,
  kioskFlagsOf,
  parseFileTransfer,
  parseKioskQuit,
  type FileTransferPolicy,
  type KioskFlags,
  type KioskQuit,
} from '../../../protocol/policy/kiosk-policy.ts';
import type { ClipboardSharing } from '../../../protocol/channels/main/agent/clipboard.ts';
import type { MonitorMapping } from '../../../protocol/monitors/monitor-mapping.ts';
import { CLIPBOARD_POLICY_NAMES, parseClipboardPolicy } from '../../clipboard/clipboard-option.ts';
import { MONITOR_MAPPING_OPTION, parseMonitorMappingOption } from '../../monitors/mapping-option.ts';
import { caFileForCommand, type CaFile } from '../../transport/tls-ca-file.ts';
import { usbRulesOption, type UsbCommandLine } from '../../usb/usb-policy.ts';
import { flag, usageError, valueOption, wholeNumberOption, type OperandReader } from './option-spec.ts';
import { parseVideoCodecList, VIDEO_CODEC_NAMES } from '../../../protocol/profile/video-codecs.ts';
import { DEFAULT_MEMORY_LIMIT, formatBytes, MAX_MEMORY_LIMIT, MIN_MEMORY_LIMIT, parseByteSize } from '../../../protocol/wire/memory-budget.ts';

/** Taken by every command, whatever its definition lists (the parser adds them). */
export const everyCommandOptions = {
  verbose: flag({ long: 'verbose', short: 'v', help: 'log progress to stderr (JSON lines)' }),
  debug: flag({ long: 'debug', help: 'log everything, and print stack traces on errors' }),
  help: flag({ long: 'help', short: 'h', help: "this text; after a command, that command's options" }),
};

export const timeoutOption = wholeNumberOption({
  long: 'timeout',
  valueName: 'SECONDS',
  min: 1,
  max: 3600,
  scale: 1000,
  unit: 'second',
  absent: 10_000,
  help: 'how long to wait for the server to link (and for capture and do, for the first frame);\ndefault 10',
});

export const caFileOption = valueOption<string | undefined>({
  long: 'spice-ca-file',
  valueName: 'FILE',
  needs: 'a FILE',
  absent: undefined,
  help:
    'also trust the CA certificates in this PEM file for TLS and wss://, together with the\n' +
    '.vv ca (as remote-viewer); without it, the file ~/.spicec/spice_truststore.pem when it\n' +
    "exists; with neither, the system's CA store",
  parse: (raw) => raw,
});

/** --memory-limit: bytes, or undefined when not given (the session's default applies). */
export const memoryLimitOption = valueOption<number | undefined>({
  long: 'memory-limit',
  valueName: 'SIZE',
  needs: 'a SIZE such as 512M or 2G',
  once: true,
  absent: undefined,
  help:
    'the most memory one session may take for what the server asks the client to hold\n' +
    '(surfaces, image and cursor caches, the GLZ window, messages in flight), such as 512M\n' +
    `or 2G (K, M, G: KiB, MiB, GiB); from ${formatBytes(MIN_MEMORY_LIMIT)}, default ${formatBytes(DEFAULT_MEMORY_LIMIT)}. A server that asks for more\n` +
    'ends the session (exit 6)',
  parse(raw) {
    const n = parseByteSize(raw);
    if (n === null) throw usageError(`--memory-limit must be a size such as 512M, 1G or 1536M, got "${raw}"`);
    if (n < MIN_MEMORY_LIMIT || n > MAX_MEMORY_LIMIT) {
      throw usageError(`--memory-limit must be from ${formatBytes(MIN_MEMORY_LIMIT)} to ${formatBytes(MAX_MEMORY_LIMIT)}, got "${raw}"`);
    }
    return n;
  },
});

/** --video-codecs: the codecs to ask the server to stream in, most wanted first; undefined: the profile's, else this client's own order. */
export const videoCodecsOption = valueOption<number[] | undefined>({
  long: 'video-codecs',
  valueName: 'LIST',
  needs: 'a LIST such as vp9,vp8,mjpeg',
  once: true,
  absent: undefined,
  help:
    `the video codecs to ask the server to stream in, most wanted first, of ${[...VIDEO_CODEC_NAMES.keys()].join(', ')},\n` +
    'such as vp9,vp8,mjpeg (PREFERRED_VIDEO_CODEC_TYPE, when the server takes it). Codecs this\n' +
    "client does not decode are left out, with a warning. Default: the .vv file's or URI's\n" +
    "video-codecs, else this client's own order (hardware decoding first)",
  parse: (raw) => parseVideoCodecList(raw, '--video-codecs'),
});

/** The options of every command that connects to a server. */
export const connectingOptions = { timeout: timeoutOption, spiceCaFile: caFileOption, memoryLimit: memoryLimitOption, videoCodecs: videoCodecsOption };

/** --spice-ca-file read and checked, or the per-user default trust store. */
export function trustedCaFile(given: string | undefined, warn: (line: string) => void): CaFile | undefined {
  return caFileForCommand(given, { warn });
}

export const displayOption = wholeNumberOption({
  long: 'display',
  valueName: 'N',
  min: 0,
  max: 255,
  absent: 0,
  help: 'the display channel (default 0)',
});

export const listenOption = valueOption<string | undefined>({
  long: 'listen',
  valueName: 'HOST:PORT',
  needs: 'HOST:PORT, :PORT or PORT',
  absent: undefined,
  help: 'where the web gateway listens (checked when it starts); default 127.0.0.1 and a free port',
  parse: (raw) => raw,
});

export const clipboardOption = valueOption<ClipboardSharing | undefined>({
  long: 'clipboard',
  valueName: CLIPBOARD_POLICY_NAMES.join('|'),
  needs: 'a value: both, to-guest, from-guest or none',
  once: true,
  absent: undefined,
  help:
    "the clipboard directions pages may share with the guest (text and images); the\n" +
    "page's own setting can only narrow them. Kiosk deployments: --clipboard none (files are\n" +
    'apart: --file-transfer none)',
  parse: parseClipboardPolicy,
});

export const monitorMappingOption = valueOption<MonitorMapping | undefined>({
  long: MONITOR_MAPPING_OPTION.slice(2),
  valueName: 'MAP',
  needs: 'a value such as 1:2;2:1',
  once: true,
  absent: undefined,
  help:
    "which client monitor shows which guest head, as remote-viewer's monitor-mapping:\n" +
    'GUEST-HEAD:CLIENT-MONITOR pairs from 1, such as 1:2;2:1 (quote the ;). Remembered for\n' +
    "the VM's UUID (in the settings folder: ~/.config/spicedesk, %APPDATA%\\spicedesk or\n" +
    '~/Library/Application Support/spicedesk) and used again when not given. Applied in the\n' +
    'Electron window and, where the browser allows window placement, in the page',
  parse: parseMonitorMappingOption,
});

export const kioskOption = flag({
  long: 'kiosk',
  short: 'k',
  help:
    "kiosk mode, as remote-viewer's: fullscreen on every head, no window controls, menus,\n" +
    'developer tools or quit, no buttons or status bar in the page; only the hotkeys the .vv\n' +
    'file names work (no F11, shift+F12, Ctrl+Alt+End defaults). In a browser (serve, or open\n' +
    'without Electron) only the page is locked: run the browser in its own kiosk mode\n' +
    '(resources/thin-client/README.md)',
});

export const kioskQuitOption = valueOption<KioskQuit | undefined>({
  long: 'kiosk-quit',
  valueName: 'never|on-disconnect',
  needs: 'a value: never or on-disconnect',
  absent: undefined,
  help:
    'when the session ends: never (default) shows a reconnect screen, which asks for the\n' +
    'password again when the TARGET has none; on-disconnect quits the window (a browser page\n' +
    'says that the session ended) without reconnecting by itself',
  parse: parseKioskQuit,
});

export const fileTransferOption = valueOption<FileTransferPolicy | undefined>({
  long: 'file-transfer',
  valueName: FILE_TRANSFER_VALUES.join('|'),
  needs: `a value: ${FILE_TRANSFER_VALUES.join(' or ')}`,
  once: true,
  absent: undefined,
  help:
    'whether files dropped on the page go into the guest (to-guest, the default) or not\n' +
    '(none: the page shows no drop target, and the host refuses a file offer anyway).\n' +
    'Apart from --clipboard: to keep data in or out, give --clipboard none --file-transfer none',
  parse: parseFileTransfer,
});

/** --kiosk, --kiosk-quit and --file-transfer together; --kiosk-quit alone is warned about, as remote-viewer ignores it. */
export function kioskFlags(
  values: { kiosk: boolean; kioskQuit: KioskQuit | undefined; fileTransfer?: FileTransferPolicy | undefined },
  warn: (line: string) => void,
): KioskFlags {
  return kioskFlagsOf(values.kiosk, values.kioskQuit, warn, values.fileTransfer);
}

/** remote-viewer's USB options: a shared CD, the auto-redirect and redirect-on-connect rules. */
export const usbOptions = {
  spiceShareCd: valueOption<readonly string[]>({
    long: 'spice-share-cd',
    valueName: 'FILE.iso',
    needs: 'a FILE.iso',
    absent: [],
    help:
      'offer this ISO file to the VM as a USB CD-ROM drive (read-only) on its first free USB\n' +
      'redirection slot once the connection is up; again for more CDs, each on its own slot',
    parse: (raw) => [raw],
    repeat: (earlier, next) => [...earlier, ...next.filter((file) => !earlier.includes(file))],
  }),
  spiceUsbredirAutoRedirectFilter: valueOption<string | undefined>({
    long: 'spice-usbredir-auto-redirect-filter',
    valueName: 'RULES',
    needs: 'usbredirfilter RULES (class,vendor,product,version,allow|...)',
    once: true,
    dashValue: true,
    absent: undefined,
    help:
      'which devices plugged during the session go into the VM by themselves (with\n' +
      'enable-usb-autoshare); default 0x03,-1,-1,-1,0|-1,-1,-1,-1,1 (everything but HID)',
    parse: (raw) => usbRulesOption('spice-usbredir-auto-redirect-filter', raw),
  }),
  spiceUsbredirRedirectOnConnect: valueOption<string | undefined>({
    long: 'spice-usbredir-redirect-on-connect',
    valueName: 'RULES',
    needs: 'usbredirfilter RULES (class,vendor,product,version,allow|...)',
    once: true,
    dashValue: true,
    absent: undefined,
    help: 'when a USB slot of the VM comes up, redirect the first present device these rules allow',
    parse: (raw) => usbRulesOption('spice-usbredir-redirect-on-connect', raw),
  }),
};

/** The USB options' values as the usb policy takes them. */
export function usbCommandLineOf(values: { spiceShareCd: readonly string[]; spiceUsbredirAutoRedirectFilter: string | undefined; spiceUsbredirRedirectOnConnect: string | undefined }): UsbCommandLine {
  return {
    shareCds: values.spiceShareCd.length > 0 ? values.spiceShareCd : undefined,
    autoRedirectFilter: values.spiceUsbredirAutoRedirectFilter, redirectOnConnect: values.spiceUsbredirRedirectOnConnect,
  };
}

/** The options of the commands that run the client (the web gateway or the Electron window). */
/** --spice-shared-dir DIR and --spice-shared-dir-ro: folder sharing (the webdav channel); default none. */
export const sharedDirOptions = {
  spiceSharedDir: valueOption<string | undefined>({
    long: 'spice-shared-dir',
    valueName: 'DIR',
    needs: 'a DIR',
    absent: undefined,
    help:
      "share this folder with the guest (its spice-webdavd, the webdav channel); nothing outside\n" +
      'it is reachable; not shared without it',
    parse: (raw) => raw,
  }),
  spiceSharedDirRo: flag({ long: 'spice-shared-dir-ro', help: 'share the folder read-only: every write is refused (403)' }),
};

/** --print-to PRINTER|save:DIR|off and --print-max-mb N: printing from the guest (port org.spicedesk.print.0); default off. */
export const printOptions = {
  printTo: valueOption<string | undefined>({
    long: 'print-to',
    valueName: 'PRINTER',
    needs: 'a PRINTER, save:DIR or off',
    absent: undefined,
    help:
      "print the guest's jobs (resources/guest/spicedesk-print) on this local printer (CUPS lp), or\n" +
      'save:DIR to save them there as PDF/PostScript files; off (the default): jobs are refused',
    parse: (raw) => raw,
  }),
  printMaxMb: wholeNumberOption({
    long: 'print-max-mb',
    valueName: 'N',
    min: 1,
    max: 65_536,
    absent: undefined,
    help: 'the largest print job taken, in MiB (default 512); a larger one is refused before it is sent',
  }),
};

export const clientOptions = {
  ...connectingOptions,
  ...sharedDirOptions,
  ...usbOptions,
  ...printOptions,
  listen: listenOption,
  clipboard: clipboardOption,
  fileTransfer: fileTransferOption,
  monitorMapping: monitorMappingOption,
  kiosk: kioskOption,
  kioskQuit: kioskQuitOption,
};

const TARGET_FORMS = 'a spice:// URI, a .vv file or -';

/** Exactly one TARGET. */
export function oneTarget(command: string): OperandReader<string> {
  const words: string[] = [];
  return {
    take: (word) => void words.push(word),
    finish() {
      if (words.length === 0) throw usageError(`${command} needs a TARGET (${TARGET_FORMS})`);
      if (words.length > 1) throw usageError(`${command} takes one TARGET, got ${words.length}: ${words.join(' ')}`);
      return words[0];
    },
  };
}

/** No TARGET (the command then starts a local demo server) or one. */
export function optionalTarget(command: string): OperandReader<string | undefined> {
  const words: string[] = [];
  return {
    take: (word) => void words.push(word),
    finish() {
      if (words.length > 1) throw usageError(`${command} takes at most one TARGET, got ${words.length}`);
      return words[0];
    },
  };
}

/** Any number of TARGETs; the command says how many it needs. */
export function targetList(): OperandReader<string[]> {
  const words: string[] = [];
  return { take: (word) => void words.push(word), finish: () => words };
}
