// BridgeHost telling the page about its display channel: a display the server refuses at the link
// ends the page with the reason (it would otherwise stay blank with "connected"), and a display
// cut mid-session is a drop the page is told about ("reconnecting" with the reason).
import { describe, expect, it } from 'vitest';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { ConnectionProfile } from '../../../../src/protocol/profile/index.ts';
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';
import { BridgeHost, type GatewayTarget } from '../../../../src/main/host/bridge-host.ts';
import { fakeLinkServer, fakeMainWithDisplay } from '../../../helpers/fake-link-server.ts';
import type { MemoryTransport } from '../../../helpers/memory-transport.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';
import { FakePage } from '../../../helpers/fake-page.ts';
import { waitUntil } from '../../../helpers/wait.ts';

const DISPLAY = 2;
const LINK_ERR_CHANNEL_NOT_AVAILABLE = 9;
const PING = 4;
const PONG = 3;

/** A SPICE server in memory whose channel list has display 0; `display` says what its link does. */
function server(display: 'refuse' | 'link'): { connector: GatewayTarget['plan']['connector']; displays: MemoryTransport[] } {
  const displays: MemoryTransport[] = [];
  const connector = async ({ channelType }: { channelType: number }): Promise<MemoryTransport> => {
    if (channelType === DISPLAY) {
      const { transport } = fakeLinkServer(display === 'refuse' ? { replyError: LINK_ERR_CHANNEL_NOT_AVAILABLE } : {});
      displays.push(transport);
      return transport;
    }
    return fakeMainWithDisplay();
  };
  return { connector: connector as GatewayTarget['plan']['connector'], displays };
}

function host(connector: GatewayTarget['plan']['connector']): { page: FakePage; bridge: BridgeHost } {
  const target: GatewayTarget = { label: 'memory', profile: {} as ConnectionProfile, plan: { where: 'memory:1', connector } };
  const page = new FakePage();
  const bridge = new BridgeHost(page, { targets: [target], logger: silentLogger, linkTimeoutMs: 2000, helloTimeoutMs: 5000, reconnectBackoff: { firstDelayMs: 5000, factor: 2, maxDelayMs: 5000, stableAfterMs: 60_000 } }, 1);
  page.say({ kind: 'hello', version: BRIDGE_VERSION, target: 0 });
  return { page, bridge };
}

describe('BridgeHost and the display channel', () => {
  it('a display the server refuses: the page gets an error naming the display channel and why', async () => {
    const { page, bridge } = host(server('refuse').connector);
    await waitUntil('an error status', () => page.statuses().includes('error'), 3000, { explain: () => JSON.stringify(page.statuses()) });
    expect(page.lastStatus()).toMatch(/^the display channel was refused: the server at memory:1 has no display channel to link/);
    bridge.shutdown();
  });

  it('a display cut mid-session: the page is told the session dropped, with the reason', async () => {
    const s = server('link');
    const { page, bridge } = host(s.connector);
    await waitUntil('connected', () => page.statuses().includes('connected'), 3000);
    await waitUntil('the display linked', () => s.displays.length === 1, 3000);
    // A PING answered shows the display past its link and reading messages; then its connection ends.
    const display = s.displays[0];
    display.feed(miniMessage(PING, new WireWriter().u32(1).u64(0n).finish()));
    await waitUntil('the PONG', () => display.written.some((w) => w.byteLength === 18 && w[0] === PONG && w[1] === 0 && w[2] === 12), 3000);
    display.end();
    await waitUntil('reconnecting', () => page.statuses().includes('reconnecting'), 3000, { explain: () => JSON.stringify(page.statuses()) });
    const reconnecting = page.received.flatMap((m) => (m.kind === 'status' && m.status.state === 'reconnecting' ? [m.status] : []));
    expect(reconnecting[0]?.reason).toBe('the server closed the display channel connection');
    bridge.shutdown();
  });
});
