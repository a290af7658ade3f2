// BridgeHost's table of page messages once a page's session started: messages that may come only
// first or only when asked for end the page with a reason that names them; the others are taken
// and the page stays. The server here never answers, so everything happens while linking.
import { describe, expect, it } from 'vitest';
import type { UiMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { ConnectionProfile } from '../../../../src/protocol/profile/index.ts';
import { BridgeHost, CloseCode, type GatewayTarget } from '../../../../src/main/host/bridge-host.ts';
import { FakePage } from '../../../helpers/fake-page.ts';

class ClosingPage extends FakePage {
  closedWith: { code: number; reason: string } | null = null;
  override close(code?: number, reason?: string): void {
    if (this.open) this.closedWith = { code: code ?? 0, reason: reason ?? '' };
    super.close();
  }
}

/** A page whose HELLO was taken, with its session still linking to a server that never answers. */
function startedPage(): { page: ClosingPage; bridge: BridgeHost } {
  const silentServer = () => new Promise<never>(() => {});
  const target: GatewayTarget = { label: 'silent', profile: {} as ConnectionProfile, plan: { where: 'silent:1', connector: silentServer } };
  const page = new ClosingPage();
  const bridge = new BridgeHost(page, { targets: [target], logger: silentLogger, linkTimeoutMs: 60_000, helloTimeoutMs: 60_000 }, 1);
  page.say({ kind: 'hello', version: BRIDGE_VERSION, target: 0 });
  return { page, bridge };
}

describe('BridgeHost page messages after HELLO', () => {
  it.each<[string, UiMessage, string]>([
    ['a second HELLO', { kind: 'hello', version: BRIDGE_VERSION, target: 0 }, 'HELLO may come only once'],
    ['HEAD_JOIN', { kind: 'head-join', version: BRIDGE_VERSION, target: 0, head: 1, token: new Uint8Array(32) }, 'HEAD_JOIN may come only first'],
    ['PASSWORD unasked', { kind: 'password', password: 'secret' }, 'PASSWORD came without a password request'],
    ['PASSWORD_CANCEL unasked', { kind: 'password-cancel' }, 'PASSWORD_CANCEL came without a password request'],
  ])('ends the page for %s, saying why', (_what, message, reason) => {
    const { page, bridge } = startedPage();
    page.say(message);
    // The last thing the page is told, after what was queued for it (its policy, 'connecting').
    expect(page.statuses()).toEqual(['connecting', 'error']);
    expect(page.lastStatus()).toBe(reason);
    expect(page.closedWith).toEqual({ code: CloseCode.POLICY, reason });
    expect(bridge.closed).toBe(true);
  });

  it.each<[string, UiMessage]>([
    ['a key', { kind: 'key-down', scancode: 0x1e }],
    ['a mouse position', { kind: 'mouse-position', x: 10, y: 20, buttons: 0, displayId: 0 }],
    ['CTRL_ALT_DEL', { kind: 'ctrl-alt-del' }],
    ['a display size', { kind: 'display-size', width: 1024, height: 768 }],
    ['clipboard text', { kind: 'clipboard-text', text: 'hello' }],
    ['a mouse mode request', { kind: 'mouse-mode-request', mode: 'server' }],
    ['clipboard sharing', { kind: 'clipboard-sharing', toGuest: false, fromGuest: true }],
    ['a head switched on', { kind: 'head-enable', head: 1, enabled: true }],
  ])('takes %s while the session is linking, and keeps the page', (_what, message) => {
    const { page, bridge } = startedPage();
    page.say(message);
    expect(page.closedWith).toBeNull();
    expect(bridge.closed).toBe(false);
    bridge.shutdown();
    expect(page.closedWith?.code).toBe(CloseCode.GOING_AWAY);
  });
});
