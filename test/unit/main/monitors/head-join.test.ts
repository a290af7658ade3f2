// Join tokens in the bridge host: a view of another head gets in only with the token of a live
// session; a wrong token, a session that ended, and a head already shown are refused with a sentence.
import { describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { encodeUiMessage } from '../../../../src/protocol/bridge/ui-codec.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { BridgeHost } from '../../../../src/main/host/bridge-host.ts';
import { HeadGroup, HeadRegistry, JoinedHead } from '../../../../src/main/monitors/head-group.ts';
import { FakePage } from '../../../helpers/fake-page.ts';
import { waitUntil } from '../../../helpers/wait.ts';
import { decodeHostMessage } from '../../../../src/protocol/bridge/host-codec.ts';


function joinHost(registry: HeadRegistry, token: Uint8Array, head = 1): FakePage {
  const page = new FakePage();
  new BridgeHost(page, { targets: [], logger: silentLogger, linkTimeoutMs: 1000, helloTimeoutMs: 1000, heads: registry }, 1);
  page.deliver(encodeUiMessage({ kind: 'head-join', version: BRIDGE_VERSION, target: 0, head, token }));
  return page;
}

const hooks = { log: silentLogger, session: () => null, sendToOwner: () => {}, relayout: () => {}, pageText: () => {}, input: () => {} };

describe('joining a session as the view of another head', () => {
  it('finds a group only by its exact token', () => {
    const registry = new HeadRegistry();
    const a = new HeadGroup(registry, hooks);
    const b = new HeadGroup(registry, hooks);
    expect(a.token).not.toEqual(b.token);
    expect(registry.find(a.token)).toBe(a);
    expect(registry.find(b.token)).toBe(b);
    const wrong = Uint8Array.from(a.token);
    wrong[31] ^= 1;
    expect(registry.find(wrong)).toBeUndefined();
    expect(registry.find(a.token.subarray(0, 31))).toBeUndefined();
    a.close({ state: 'closed', reason: 'done' });
    expect(registry.find(a.token)).toBeUndefined();
  });

  it('refuses an unknown token', async () => {
    const registry = new HeadRegistry();
    new HeadGroup(registry, hooks);
    const page = joinHost(registry, new Uint8Array(32));
    await waitUntil('the page closed', () => !page.open, 5000);
    expect(page.open).toBe(false);
    expect(page.lastStatus()).toMatch(/belongs to a session that is over \(or its link is wrong\)/);
  });

  it('refuses a token when the host has no registry (the Electron window without heads)', async () => {
    const page = new FakePage();
    new BridgeHost(page, { targets: [], logger: silentLogger, linkTimeoutMs: 1000, helloTimeoutMs: 1000 }, 1);
    page.deliver(encodeUiMessage({ kind: 'head-join', version: BRIDGE_VERSION, target: 0, head: 1, token: new Uint8Array(32) }));
    await waitUntil('the page closed', () => !page.open, 5000);
    expect(page.open).toBe(false);
  });

  it('refuses a valid token while the session is not linked', async () => {
    const registry = new HeadRegistry();
    const group = new HeadGroup(registry, hooks);
    const page = joinHost(registry, group.token);
    await waitUntil('an error status on the page', () => /not linked yet/.test(page.lastStatus()), 5000);
    expect(page.lastStatus()).toMatch(/not linked yet/);
    const joined = group.join(2, { sendBytes: () => {}, end: () => {} });
    expect(joined).toBe('the session is not linked yet; try again once it is');
  });

  it('answers a file dropped on a joined head with a refusal in that view, and sends nothing to the session', () => {
    const registry = new HeadRegistry();
    const inputs: string[] = [];
    const group = new HeadGroup(registry, hooks);
    group.input = (m) => void inputs.push(m.kind);
    const sent: HostMessage[] = [];
    const joined = new JoinedHead(group, 1, { sendBytes: (b) => sent.push(decodeHostMessage(b)), end: () => {} });
    expect(joined.onMessage({ kind: 'file-offer', id: 7, name: 'report.pdf', size: 1000 })).toBeNull();
    expect(sent).toEqual([{ kind: 'file-result', id: 7, outcome: 'refused', message: expect.stringMatching(/window of head 1/) }]);
    expect(joined.onMessage({ kind: 'file-data', id: 7, offset: 0, data: new Uint8Array(4) })).toBeNull();
    expect(joined.onMessage({ kind: 'clipboard-image', total: 4, offset: 0, data: new Uint8Array(4) })).toBeNull();
    expect(inputs).toEqual([]);
    expect(joined.onMessage({ kind: 'ctrl-alt-del' })).toBeNull();
    expect(inputs).toEqual(['ctrl-alt-del']);
  });
});
