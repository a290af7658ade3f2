// BridgeHost over a transport that frames its packets itself (the gateway's sendFilled): a packet
// the transport could not take (its socket already gone) is dropped, not sent again with the next.
import { describe, expect, it } from 'vitest';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { decodeHostPacket } from '../../../../src/protocol/bridge/host-codec.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { ConnectionProfile } from '../../../../src/protocol/profile/index.ts';
import { BridgeHost, type GatewayTarget } from '../../../../src/main/host/bridge-host.ts';
import { FakePage } from '../../../helpers/fake-page.ts';

class FramingPage extends FakePage {
  socketGone = false;
  sendFilled(size: number, fill: (out: Uint8Array) => void): void {
    if (this.socketGone) return;
    const out = new Uint8Array(size);
    fill(out);
    this.received.push(...decodeHostPacket(out));
  }
}

describe('BridgeHost with a transport that fills its own packets', () => {
  it('sends through sendFilled, and drops a packet its socket could not take', async () => {
    const silentServer = () => new Promise<never>(() => {});
    const target: GatewayTarget = { label: 'silent', profile: {} as ConnectionProfile, plan: { where: 'silent:1', connector: silentServer } };
    const page = new FramingPage();
    const bridge = new BridgeHost(page, { targets: [target], logger: silentLogger, linkTimeoutMs: 60_000, helloTimeoutMs: 60_000 }, 1);
    page.socketGone = true;
    page.say({ kind: 'hello', version: BRIDGE_VERSION, target: 0 });
    // The packet of the HELLO's answers ('connecting') leaves at the end of the task, into nothing.
    await new Promise((done) => setTimeout(done, 30));
    expect(page.received).toEqual([]);
    page.socketGone = false;
    // A second HELLO ends the page: what is queued goes first, then its last status.
    page.say({ kind: 'hello', version: BRIDGE_VERSION, target: 0 });
    expect(page.statuses()).toEqual(['error']);
    bridge.shutdown();
  });
});
