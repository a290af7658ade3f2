// A page's input socket (INPUT_JOIN): it joins the session whose token it names, its key and
// pointer messages reach the session as the page's, anything else on it is refused, and it ends
// with the session.
import { describe, expect, it } from 'vitest';
import type { UiMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { BridgeHost } from '../../../../src/main/host/bridge-host.ts';
import { HeadGroup, HeadRegistry } from '../../../../src/main/monitors/head-group.ts';
import { FakePage } from '../../../helpers/fake-page.ts';
import { waitUntil } from '../../../helpers/wait.ts';

function setup() {
  const registry = new HeadRegistry();
  const inputs: UiMessage[] = [];
  const group = new HeadGroup(registry, { log: silentLogger, session: () => null, sendToOwner: () => {}, relayout: () => {}, pageText: () => {}, input: (m) => void inputs.push(m) });
  const socket = (token: Uint8Array): FakePage => {
    const page = new FakePage();
    new BridgeHost(page, { targets: [], logger: silentLogger, linkTimeoutMs: 1000, helloTimeoutMs: 1000, heads: registry }, 2);
    page.say({ kind: 'input-join', version: BRIDGE_VERSION, target: 0, token });
    return page;
  };
  return { registry, group, inputs, socket };
}

describe("a page's input socket", () => {
  it("carries key and pointer messages into the session as the page's own", () => {
    const { group, inputs, socket } = setup();
    const page = socket(group.token);
    const sent: UiMessage[] = [
      { kind: 'key-down', scancode: 0x1e },
      { kind: 'key-up', scancode: 0x1e },
      { kind: 'mouse-position', x: 10, y: 20, buttons: 0, displayId: 0 },
      { kind: 'mouse-press', button: 1, buttons: 1 },
      { kind: 'mouse-release', button: 1, buttons: 0 },
      { kind: 'mouse-motion', dx: -3, dy: 4, buttons: 0 },
      { kind: 'key-modifiers', modifiers: 1 },
      { kind: 'ctrl-alt-del' },
    ];
    for (const m of sent) page.say(m);
    expect(inputs).toEqual(sent);
    expect(page.open).toBe(true);
  });

  it('is refused when it sends anything else, and input after that goes nowhere', async () => {
    const { group, inputs, socket } = setup();
    const page = socket(group.token);
    page.say({ kind: 'clipboard-text', text: 'not input' });
    await waitUntil('the socket closed', () => !page.open, 5000);
    expect(page.lastStatus()).toMatch(/carries key and pointer messages only, not clipboard-text/);
    page.say({ kind: 'key-down', scancode: 0x1e });
    expect(inputs).toEqual([]);
  });

  it('is refused with a sentence when its token names no session, or one that ended', async () => {
    const { group, socket } = setup();
    const wrong = Uint8Array.from(group.token);
    wrong[0] ^= 0x80;
    const stranger = socket(wrong);
    await waitUntil('the socket closed', () => !stranger.open, 5000);
    expect(stranger.lastStatus()).toMatch(/names a session that is over/);
    group.close({ state: 'closed', reason: 'the window of head 1 closed' });
    const late = socket(group.token);
    await waitUntil('the late socket closed', () => !late.open, 5000);
    expect(late.lastStatus()).toMatch(/names a session that is over/);
  });

  it('ends with the session: closing the group closes it', async () => {
    const { group, socket } = setup();
    const page = socket(group.token);
    expect(page.open).toBe(true);
    group.close({ state: 'closed', reason: 'the window of head 1 closed' });
    await waitUntil('the socket closed', () => !page.open, 5000);
    expect(page.open).toBe(false);
  });

  it('may not join twice on one socket', async () => {
    const { group, socket } = setup();
    const page = socket(group.token);
    page.say({ kind: 'input-join', version: BRIDGE_VERSION, target: 0, token: group.token });
    await waitUntil('the socket closed', () => !page.open, 5000);
    expect(page.lastStatus()).toMatch(/not input-join/);
  });
});
