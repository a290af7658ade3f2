// `--clipboard both|to-guest|from-guest|none` of `serve` and `open`: the clipboard directions the
// host allows. Enforced by the host (src/main/host/page-agent.ts), so a page cannot turn on a
// direction the command line turned off, and in the Electron window by main's own reading of the
// local clipboard (src/main/electron/focus-clipboard.ts); kiosk deployments use it to keep data
// in or out.
import type { ClipboardSharing } from '../../protocol/channels/main/agent/clipboard.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';

const policies = new Map<string, ClipboardSharing>([
  ['both', { toGuest: true, fromGuest: true }],
  ['to-guest', { toGuest: true, fromGuest: false }],
  ['from-guest', { toGuest: false, fromGuest: true }],
  ['none', { toGuest: false, fromGuest: false }],
]);

/** The values --clipboard takes, in the order the help lists them. */
export const CLIPBOARD_POLICY_NAMES: readonly string[] = [...policies.keys()];

/** The --clipboard value that gives `policy` (to hand it on to the Electron app). */
export function clipboardPolicyName(policy: ClipboardSharing): string {
  return policy.toGuest ? (policy.fromGuest ? 'both' : 'to-guest') : policy.fromGuest ? 'from-guest' : 'none';
}

/** `--clipboard`'s value, checked (commands/args/shared-options.ts defines the option). */
export function parseClipboardPolicy(value: string): ClipboardSharing {
  const policy = policies.get(value);
  if (!policy) throw new SpiceError('usage', `--clipboard must be one of ${CLIPBOARD_POLICY_NAMES.join(', ')}, got "${value}"`);
  return { ...policy };
}
