// The USB policy of one connection: the TARGET's .vv keys (enable-usbredir, enable-usb-autoshare,
// usb-filter, usb-redirect-on-connect: virt-viewer's names, read by protocol/profile/vv.ts) under
// remote-viewer's command-line options, which win where both are given
// (--spice-share-cd, --spice-usbredir-auto-redirect-filter, --spice-usbredir-redirect-on-connect).
import type { ConnectionProfile } from '../../protocol/profile/index.ts';
import { checkUsbFilter } from '../../protocol/profile/values.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { DEFAULT_AUTO_REDIRECT_FILTER, type UsbPolicy } from './usb-redirector.ts';

/** The USB options of the command line, as given. */
export interface UsbCommandLine {
  /** --spice-share-cd FILE.iso, once per CD (each goes on its own slot). */
  shareCds?: readonly string[];
  /** --spice-usbredir-auto-redirect-filter RULES */
  autoRedirectFilter?: string;
  /** --spice-usbredir-redirect-on-connect RULES */
  redirectOnConnect?: string;
}

/** Checks usbredirfilter rules given on the command line; a usage error naming the option. */
export function usbRulesOption(option: string, raw: string): string {
  const checked = checkUsbFilter(raw);
  if (!checked.ok) throw new SpiceError('usage', `--${option}: ${checked.problem}`);
  return checked.value;
}

export function usbPolicyOf(profile: Pick<ConnectionProfile, 'enableUsbredir' | 'enableUsbAutoshare' | 'usbFilter' | 'usbRedirectOnConnect'>, line: UsbCommandLine): UsbPolicy {
  return {
    enabled: profile.enableUsbredir ?? true,
    autoRedirect: profile.enableUsbAutoshare ?? false,
    autoRedirectFilter: line.autoRedirectFilter ?? profile.usbFilter ?? DEFAULT_AUTO_REDIRECT_FILTER,
    redirectOnConnect: line.redirectOnConnect ?? profile.usbRedirectOnConnect,
    sharedCds: line.shareCds ?? [],
  };
}

/** Whether the connection must link its usbredir slots even when no action names USB. */
export function usbWantedAtConnect(line: UsbCommandLine, profile?: Pick<ConnectionProfile, 'enableUsbAutoshare' | 'usbRedirectOnConnect'>): boolean {
  return (line.shareCds?.length ?? 0) > 0 || line.redirectOnConnect !== undefined || line.autoRedirectFilter !== undefined
    || profile?.usbRedirectOnConnect !== undefined || profile?.enableUsbAutoshare === true;
}
