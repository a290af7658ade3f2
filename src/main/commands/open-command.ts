// `spicedesk open`: the desktop client. The Electron window where Electron is installed (the same
// command line handed over, as the switches electron-main.ts reads), else the web gateway in the
// system's browser; with no TARGET, on a local demo Xspice.
import { accessSync, constants, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clipboardPolicyName } from '../clipboard/clipboard-option.ts';
import { monitorMappingArg } from '../monitors/mapping-option.ts';
import { ExitCode } from '../node/exit-codes.ts';
import { defineCommand, usageError } from './args/option-spec.ts';
import { clientOptions, kioskFlags, optionalTarget, usbCommandLineOf } from './args/shared-options.ts';
import { runGateway } from './serve-command.ts';
import { FILE_TRANSFER_ARG } from '../electron/launch-args.ts';
import { usbSwitches } from '../electron/usb-args.ts';
import { windowDeviceArgs } from '../electron/window-devices.ts';
import { printSettingOf } from '../printing/print-setting.ts';
import { sharedDirOf } from '../webdav/shared-dir.ts';

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

/** Runs the Electron window (dist/electron-main.cjs) with these arguments; its exit is ours. */
function runElectron(binary: string, args: string[]): Promise<number> {
  const app = join(__dirname, '..');
  return new Promise((resolve) => {
    // Loaded here: every other command would pay for child_process at start-up.
    const { spawn } = process.getBuiltinModule('node:child_process');
    const child = spawn(binary, [app, ...args], { stdio: 'inherit' });
    child.on('error', (e) => {
      process.stderr.write(`spicedesk: cannot start Electron (${e.message})\n`);
      resolve(ExitCode.OTHER);
    });
    child.on('exit', (code) => resolve(code ?? ExitCode.OTHER));
  });
}

/**
 * The USB options as switches for the window (usb-args.ts reads them), ISO files made absolute
 * and checked here, where a mistyped path can still be said on the terminal.
 */
export function windowUsbSwitches(values: Parameters<typeof usbCommandLineOf>[0]): string[] {
  const usb = usbCommandLineOf(values);
  const shareCds = (usb.shareCds ?? []).map((file) => resolve(file));
  for (const file of shareCds) {
    try {
      accessSync(file, constants.R_OK);
    } catch (e) {
      throw usageError(`--spice-share-cd: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  return usbSwitches({ ...usb, shareCds });
}

export const openCommand = defineCommand({
  name: 'open',
  synopsis: '[TARGET] [--listen HOST:PORT]',
  summary:
    'the desktop client: the Electron window where Electron is installed (built, but not yet\n' +
    "run on a real Electron), else the web gateway opened in the system's browser; with no\n" +
    'TARGET, on a local demo Xspice with an xterm',
  options: clientOptions,
  operands: () => optionalTarget('open'),
  async run({ values, operands: target }, cx) {
    const electron = electronBinary();
    if (!electron) return runGateway(values, { targets: target === undefined ? [] : [target], demo: target === undefined, open: true }, cx);
    // The window does not enforce these yet: refused rather than silently ignored.
    if (values.memoryLimit !== undefined) throw usageError('the desktop window does not take --memory-limit yet; use spicedesk serve --open --memory-limit SIZE TARGET');
    if (values.videoCodecs !== undefined) throw usageError('the desktop window does not take --video-codecs yet; put video-codecs= in the TARGET (URI query or .vv file), or use spicedesk serve --open --video-codecs LIST TARGET');
    // Checked here as serve checks them (a usage error before Electron starts), then handed over.
    printSettingOf(values);
    sharedDirOf(values);
    if (values.spiceCaFile !== undefined) throw usageError('the desktop window does not take --spice-ca-file yet; use spicedesk serve --open --spice-ca-file FILE TARGET');
    const kiosk = kioskFlags(values, cx.warn);
    // The switches electron-main.ts reads (launch-args.ts, app-mappings.ts), then the TARGET.
    const args = [
      ...(values.debug ? ['--debug'] : []),
      ...(values.verbose ? ['--verbose'] : []),
      ...(kiosk.kiosk ? ['--kiosk'] : []),
      ...(kiosk.kioskQuit !== 'never' ? [`--kiosk-quit=${kiosk.kioskQuit}`] : []),
      ...(kiosk.fileTransfer !== undefined ? [`${FILE_TRANSFER_ARG}=${kiosk.fileTransfer}`] : []),
      ...(values.monitorMapping ? [monitorMappingArg(values.monitorMapping)] : []),
      // Read by the app's focus-clipboard.ts, enforced by each window's host and main's clipboard reads.
      ...(values.clipboard ? [`--clipboard=${clipboardPolicyName(values.clipboard)}`] : []),
      // Read by the app's usb-args.ts; the window's page shows the USB panel when the VM has slots.
      ...windowUsbSwitches(values),
      // --print-to, --print-max-mb, --spice-shared-dir(-ro): read by the app's window-devices.ts.
      ...windowDeviceArgs(values),
      ...(target === undefined ? [] : [target]),
    ];
    return runElectron(electron, args);
  },
});
