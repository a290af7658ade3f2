// remote-viewer's USB options on the Electron command line, as `spicedesk open` hands them over
// (--spice-share-cd FILE.iso, again for more CDs; --spice-usbredir-auto-redirect-filter RULES;
// --spice-usbredir-redirect-on-connect RULES; `--name value` or `--name=value`, before `--`). They
// hold for every window of this launch, as `serve`'s do for every page; the TARGET's .vv keys
// (enable-usbredir, enable-usb-autoshare, usb-filter, usb-redirect-on-connect) are read per window
// with its profile. A wrong value stops the app with its sentence rather than being ignored: a
// rule that let more devices in than asked is worse than a window that does not open.
import { isAbsolute, resolve } from 'node:path';
import { checkUsbFilter } from '../../protocol/profile/values.ts';
import type { UsbCommandLine } from '../usb/usb-policy.ts';

export const SHARE_CD_SWITCH = '--spice-share-cd';
export const AUTO_REDIRECT_FILTER_SWITCH = '--spice-usbredir-auto-redirect-filter';
export const REDIRECT_ON_CONNECT_SWITCH = '--spice-usbredir-redirect-on-connect';
/** The USB switches, each followed by its value when not written `--name=value` (launch-args.ts skips it). */
export const USB_SWITCHES: readonly string[] = [SHARE_CD_SWITCH, AUTO_REDIRECT_FILTER_SWITCH, REDIRECT_ON_CONNECT_SWITCH];

/** The USB options of an Electron command line; relative ISO paths resolved against `cwd`. */
export function usbCommandLineFromArgv(argv: readonly string[], cwd: string): { usb: UsbCommandLine } | { error: string } {
  const shareCds: string[] = [];
  const rules = new Map<string, string>();
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') break;
    const name = USB_SWITCHES.find((s) => arg === s || arg.startsWith(`${s}=`));
    if (name === undefined) continue;
    const value = arg === name ? args[++i] : arg.slice(name.length + 1);
    if (value === undefined || value === '') return { error: `${name} needs a value: ${name === SHARE_CD_SWITCH ? 'an ISO file' : 'usbredirfilter rules (class,vendor,product,version,allow|...)'}` };
    if (name === SHARE_CD_SWITCH) {
      const file = isAbsolute(value) ? value : resolve(cwd, value);
      if (!shareCds.includes(file)) shareCds.push(file);
      continue;
    }
    if (rules.has(name)) return { error: `${name} is given twice` };
    const checked = checkUsbFilter(value);
    if (!checked.ok) return { error: `${name}: ${checked.problem}` };
    rules.set(name, checked.value);
  }
  const usb: UsbCommandLine = {};
  if (shareCds.length > 0) usb.shareCds = shareCds;
  const autoRedirectFilter = rules.get(AUTO_REDIRECT_FILTER_SWITCH);
  if (autoRedirectFilter !== undefined) usb.autoRedirectFilter = autoRedirectFilter;
  const redirectOnConnect = rules.get(REDIRECT_ON_CONNECT_SWITCH);
  if (redirectOnConnect !== undefined) usb.redirectOnConnect = redirectOnConnect;
  return { usb };
}

/** The switches `spicedesk open` hands the window for these options (`--name=value`: a rule may start with "-"). */
export function usbSwitches(usb: UsbCommandLine): string[] {
  return [
    ...(usb.shareCds ?? []).map((file) => `${SHARE_CD_SWITCH}=${file}`),
    ...(usb.autoRedirectFilter !== undefined ? [`${AUTO_REDIRECT_FILTER_SWITCH}=${usb.autoRedirectFilter}`] : []),
    ...(usb.redirectOnConnect !== undefined ? [`${REDIRECT_ON_CONNECT_SWITCH}=${usb.redirectOnConnect}`] : []),
  ];
}
