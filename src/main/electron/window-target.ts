// A window's TARGET made ready to connect: resolved to a profile and a connection plan, with the
// window's title; or, when that fails (no such .vv file, TLS not supported yet), the error the
// window shows in its status line instead.
import type { ConnectionProfile } from '../../protocol/profile/index.ts';
import type { SpiceErrorKind } from '../../protocol/wire/errors.ts';
import { isSpiceError } from '../../protocol/wire/errors.ts';
import { planConnection } from '../connect/connector.ts';
import type { GatewayTarget } from '../host/bridge-host.ts';
import { resolveTarget, targetLabel, type TargetIo } from '../connect/target.ts';
import { applyDeleteThisFile } from '../connect/vv-lifecycle.ts';

export type WindowTarget =
  | { ok: true; target: GatewayTarget; profile: ConnectionProfile }
  | { ok: false; label: string; errorKind: SpiceErrorKind; message: string };

export { targetLabel };

export async function prepareWindowTarget(
  arg: string,
  o: { timeoutMs: number; env?: NodeJS.ProcessEnv; io?: TargetIo; warn?: (line: string) => void },
): Promise<WindowTarget> {
  const env = o.env ?? process.env;
  const label = targetLabel(arg);
  try {
    const resolved = await resolveTarget(arg, { ...o.io, env });
    const { profile } = resolved;
    // A .vv with delete-this-file goes once read, as with the CLI (its password is one-time).
    await applyDeleteThisFile(resolved, { env, warn: o.warn ?? (() => {}) });
    const plan = planConnection(profile, { timeoutMs: o.timeoutMs, env });
    return { ok: true, profile, target: { label, profile, plan, password: profile.password ?? env.SPICE_PASSWORD } };
  } catch (e) {
    if (isSpiceError(e)) return { ok: false, label, errorKind: e.kind, message: e.message };
    return { ok: false, label, errorKind: 'internal', message: `cannot open ${label}: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/**
 * The window's title: the .vv `title` (its `%d`, the monitor number in remote-viewer, is 1: one
 * window shows the first monitor), else the server's name once connected, else the TARGET.
 */
export function windowTitle(o: { profileTitle?: string; serverName?: string; label?: string }): string {
  if (o.profileTitle && o.profileTitle.trim() !== '') return o.profileTitle.replace(/%d/g, '1');
  const what = o.serverName ?? o.label;
  return what ? `${what} – spicedesk` : 'spicedesk';
}
