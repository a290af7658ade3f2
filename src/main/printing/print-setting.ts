// The printing setting (--print-to PRINTER|save:DIR|off, --print-max-mb N), checked before
// connecting, and the port handlers' context that serves it. Printing is off unless asked for:
// like a shared folder, it is a redirection the user turns on.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PortContext } from '../../protocol/channels/port/port-handler.ts';
import type { Logger } from '../../protocol/logger.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { CupsBackend } from './cups-backend.ts';
import type { PrintBackend } from './print-backend.ts';
import { PrintSpooler } from './print-spooler.ts';
import { SaveBackend } from './save-backend.ts';
import { WindowsBackend } from './windows-backend.ts';

export const DEFAULT_PRINT_MAX_MB = 512;

export type PrintSetting = { kind: 'printer'; printer: string; maxBytes: number } | { kind: 'save'; dir: string; maxBytes: number };

/** The setting from the command line (undefined: off); a usage error when it cannot work. */
export function printSettingOf(values: { printTo?: string; printMaxMb?: number }): PrintSetting | undefined {
  const to = values.printTo;
  const maxBytes = (values.printMaxMb ?? DEFAULT_PRINT_MAX_MB) * 1024 * 1024;
  if (to === undefined || to === 'off') {
    if (values.printMaxMb !== undefined && to === undefined) throw new SpiceError('usage', '--print-max-mb needs --print-to PRINTER or save:DIR');
    return undefined;
  }
  if (to.startsWith('save:')) {
    const raw = to.slice('save:'.length);
    if (!raw) throw new SpiceError('usage', '--print-to save:DIR needs a folder');
    const dir = resolve(raw);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch (e) {
      throw new SpiceError('usage', `--print-to save:${raw}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (e as Error).message}`);
    }
    if (!isDir) throw new SpiceError('usage', `--print-to save:${raw} is not a folder`);
    return { kind: 'save', dir, maxBytes };
  }
  // CUPS queue names: printable characters other than space, "/", "\\", quotes and "#".
  if (!/^[^\s/\\'"#]{1,127}$/.test(to) || to.startsWith('-')) throw new SpiceError('usage', `--print-to ${to}: not a printer name (PRINTER, save:DIR or off)`);
  return { kind: 'printer', printer: to, maxBytes };
}

export function printBackendFor(setting: PrintSetting, platform: NodeJS.Platform = process.platform): PrintBackend {
  if (setting.kind === 'save') return new SaveBackend(setting.dir);
  return platform === 'win32' ? new WindowsBackend(setting.printer) : new CupsBackend(setting.printer);
}

/**
 * What a session's port handlers get for printing: the spooler, or nothing (off). `chosen`, when
 * given, says where each job goes instead of the setting (the page's printer chooser).
 */
export function printPorts(setting: PrintSetting | undefined, logger: Logger, chosen?: () => PrintBackend): PortContext {
  return setting ? { print: new PrintSpooler(chosen ?? printBackendFor(setting), setting.maxBytes, logger) } : {};
}
