// `--clipboard both|to-guest|from-guest|none` of `serve` and `open`: the clipboard directions the
// host allows. Enforced by the host (src/main/host/page-agent.ts), so a page cannot turn on a
// direction the command line turned off; kiosk deployments use it to keep data in or out.
import type { ClipboardSharing } from '../../protocol/channels/main/agent/clipboard.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';

const policies: Record<string, ClipboardSharing> = {
  both: { toGuest: true, fromGuest: true },
  'to-guest': { toGuest: true, fromGuest: false },
  'from-guest': { toGuest: false, fromGuest: true },
  none: { toGuest: false, fromGuest: false },
};

export const CLIPBOARD_USAGE = `  --clipboard both|to-guest|from-guest|none
      the clipboard directions pages may share with the guest (text and images); the
      page's own setting can only narrow them. Kiosk deployments: --clipboard none`;

export function parseClipboardPolicy(value: string): ClipboardSharing {
  const policy = policies[value];
  if (!policy) throw new SpiceError('usage', `--clipboard must be one of ${Object.keys(policies).join(', ')}, got "${value}"`);
  return { ...policy };
}

/**
 * Takes `--clipboard VALUE` (or `--clipboard=VALUE`) out of `args`, in place, and returns the
 * policy; undefined when it is not there. Arguments after `--` are left alone.
 */
export function takeClipboardOption(args: string[]): ClipboardSharing | undefined {
  let policy: ClipboardSharing | undefined;
  for (let i = 0; i < args.length; ) {
    const a = args[i];
    if (a === '--') break;
    if (a === '--clipboard' || a.startsWith('--clipboard=')) {
      const inline = a.startsWith('--clipboard=');
      const value = inline ? a.slice('--clipboard='.length) : args[i + 1];
      if (value === undefined || (!inline && value.startsWith('-'))) throw new SpiceError('usage', '--clipboard needs a value: both, to-guest, from-guest or none');
      if (policy) throw new SpiceError('usage', '--clipboard was given more than once');
      policy = parseClipboardPolicy(value);
      args.splice(i, inline ? 1 : 2);
      continue;
    }
    i++;
  }
  return policy;
}
