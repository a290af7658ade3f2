// The window's redirections from its command line, as `spicedesk open` hands them over
// (--print-to=PRINTER|save:DIR|off, --print-max-mb=N, --spice-shared-dir=DIR,
// --spice-shared-dir-ro): checked as serve checks them (print-setting.ts, shared-dir.ts), and
// given to every window's host, where the page's printer and folder choosers start from them.
import { printSettingOf, type PrintSetting } from '../printing/print-setting.ts';
import { sharedDirOf, type SharedDirSetting } from '../webdav/shared-dir.ts';

export interface WindowDevices {
  print?: PrintSetting;
  sharedDir?: SharedDirSetting;
}

const PRINT_TO = '--print-to=';
const PRINT_MAX_MB = '--print-max-mb=';
const SHARED_DIR = '--spice-shared-dir=';
const SHARED_DIR_RO = '--spice-shared-dir-ro';

/** The switches `spicedesk open` passes for these options (the window reads them back with windowDevicesFromArgv). */
export function windowDeviceArgs(values: { printTo?: string; printMaxMb?: number; spiceSharedDir?: string; spiceSharedDirRo?: boolean }): string[] {
  return [
    ...(values.printTo !== undefined ? [PRINT_TO + values.printTo] : []),
    ...(values.printMaxMb !== undefined ? [PRINT_MAX_MB + String(values.printMaxMb)] : []),
    ...(values.spiceSharedDir !== undefined ? [SHARED_DIR + values.spiceSharedDir] : []),
    ...(values.spiceSharedDirRo ? [SHARED_DIR_RO] : []),
  ];
}

export function windowDevicesFromArgv(argv: readonly string[]): { devices: WindowDevices } | { error: string } {
  const values: { printTo?: string; printMaxMb?: number; spiceSharedDir?: string; spiceSharedDirRo?: boolean } = {};
  for (const arg of argv.slice(1)) {
    if (arg === '--') break;
    if (arg.startsWith(PRINT_TO)) values.printTo = arg.slice(PRINT_TO.length);
    else if (arg.startsWith(PRINT_MAX_MB)) {
      const raw = arg.slice(PRINT_MAX_MB.length);
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < 1) return { error: `--print-max-mb ${raw}: not a whole number of MiB above 0` };
      values.printMaxMb = n;
    } else if (arg.startsWith(SHARED_DIR)) values.spiceSharedDir = arg.slice(SHARED_DIR.length);
    else if (arg === SHARED_DIR_RO) values.spiceSharedDirRo = true;
  }
  try {
    const print = printSettingOf(values);
    const sharedDir = sharedDirOf(values);
    return { devices: { ...(print ? { print } : {}), ...(sharedDir ? { sharedDir } : {}) } };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
