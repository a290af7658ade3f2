// BridgeHost bringing a page's session back, against in-memory SPICE servers: what the page is
// told (reconnecting with reason, attempt and delay; the display reset before anything of the new
// session; connected again), the password asked again when the server now refuses the target's
// own, a drop not worth retrying ending the page as before, and no attempts after the page left.
import { describe, expect, it } from 'vitest';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { MainMsg } from '../../../../src/protocol/channels/main/main-messages.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { ConnectionProfile } from '../../../../src/protocol/profile/index.ts';
import { SpiceError } from '../../../../src/protocol/wire/errors.ts';
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';
import { BridgeHost, type GatewayTarget } from '../../../../src/main/host/bridge-host.ts';
import { fakeLinkServer } from '../../../helpers/fake-link-server.ts';
import type { MemoryTransport } from '../../../helpers/memory-transport.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';
import { FakePage } from '../../../helpers/fake-page.ts';
import { waitUntil, watchForNothing } from '../../../helpers/wait.ts';


/** A SPICE server in memory: links with its password, sends INIT and an empty channel list. */
class FakeServer {
  up = true;
  password: string | undefined;
  readonly mains: MemoryTransport[] = [];
  readonly passwordsTried: string[] = [];
  refusals = 0;

  constructor(password?: string) {
    this.password = password;
  }

  readonly connector = async ({ channelType }: { channelType: number }): Promise<MemoryTransport> => {
    if (!this.up) {
      this.refusals++;
      throw new SpiceError('unreachable', 'connection refused by memory:1: is the SPICE server running on that port?');
    }
    const { transport, received } = fakeLinkServer({ expectPassword: this.password });
    if (channelType !== 1) return transport;
    this.mains.push(transport);
    const answerLink = transport.onWrite!;
    transport.onWrite = (data) => {
      answerLink(data);
      if (data.byteLength !== 128) return;
      this.passwordsTried.push(received.password ?? '');
      if (this.password !== undefined && received.password !== this.password) return;
      // After the link result, which fakeLinkServer queued first.
      queueMicrotask(() => {
        transport.feed(miniMessage(MainMsg.INIT, new WireWriter().u32(9).u32(0).u32(1).u32(1).u32(0).u32(10).u32(0).u32(0).finish()));
        transport.feed(miniMessage(MainMsg.CHANNELS_LIST, new WireWriter().u32(0).finish()));
      });
    };
    return transport;
  };

  /** The server goes away: its connection ends and new ones are refused. */
  crash(): void {
    this.up = false;
    this.mains.at(-1)!.end();
  }
}

class WatchedPage extends FakePage {
  async until(what: string, test: () => boolean, ms = 3000): Promise<void> {
    await waitUntil(what, test, ms, { explain: () => `the page got ${JSON.stringify(this.statuses())}` });
  }
}

const fastBackoff = { firstDelayMs: 20, factor: 2, maxDelayMs: 80, stableAfterMs: 60_000 };

function host(server: FakeServer, password?: string): { page: WatchedPage; bridge: BridgeHost } {
  const target: GatewayTarget = { label: 'memory', profile: {} as ConnectionProfile, plan: { where: 'memory:1', connector: server.connector as GatewayTarget['plan']['connector'] }, password };
  const page = new WatchedPage();
  const bridge = new BridgeHost(page, { targets: [target], logger: silentLogger, linkTimeoutMs: 2000, helloTimeoutMs: 5000, reconnectBackoff: fastBackoff }, 1);
  page.say({ kind: 'hello', version: BRIDGE_VERSION, target: 0 });
  return { page, bridge };
}

const connectedCount = (page: WatchedPage): number => page.statuses().filter((s) => s === 'connected').length;

describe('BridgeHost reconnect', () => {
  it('tells the page at once, resets its display, retries with growing delays and comes back', async () => {
    const server = new FakeServer();
    const { page, bridge } = host(server);
    await page.until('the first connected status', () => connectedCount(page) === 1);
    server.crash();
    await page.until('two refused attempts', () => server.refusals >= 2);
    server.up = true;
    await page.until('connected again', () => connectedCount(page) === 2);
    bridge.shutdown();

    const afterFirst = page.statuses().slice(page.statuses().indexOf('connected') + 1);
    expect(afterFirst[0]).toBe('display-reset');
    expect(afterFirst.at(-1)).toBe('connected');
    expect(afterFirst.slice(1, -1).every((s) => s === 'reconnecting')).toBe(true);
    const reconnecting = page.received.flatMap((m) => (m.kind === 'status' && m.status.state === 'reconnecting' ? [m.status] : []));
    expect(reconnecting[0]).toEqual({ state: 'reconnecting', where: 'memory:1', reason: 'the server closed the main channel connection', attempt: 1, delayMs: 20 });
    // Announced with their delay, then again as they start (delay 0); the refusal becomes the reason.
    expect(reconnecting.slice(1, 4)).toEqual([
      { state: 'reconnecting', where: 'memory:1', reason: 'the server closed the main channel connection', attempt: 1, delayMs: 0 },
      { state: 'reconnecting', where: 'memory:1', reason: 'connection refused by memory:1: is the SPICE server running on that port?', attempt: 2, delayMs: 40 },
      { state: 'reconnecting', where: 'memory:1', reason: 'connection refused by memory:1: is the SPICE server running on that port?', attempt: 2, delayMs: 0 },
    ]);
    // The page learns the agent of the lost session is gone.
    expect(page.received).toContainEqual({ kind: 'agent', connected: false, monitorsConfig: false, clipboard: false });
    expect(server.mains).toHaveLength(2);
  });

  it('asks the page for a password when the server now refuses the one the target came with', async () => {
    const server = new FakeServer('first-ticket');
    const { page, bridge } = host(server, 'first-ticket');
    await page.until('connected', () => connectedCount(page) === 1);
    server.crash();
    server.password = 'second-ticket';
    server.up = true;
    await page.until('a password request', () => page.received.some((m) => m.kind === 'password-request'));
    const request = page.received.find((m) => m.kind === 'password-request');
    expect(request).toEqual({ kind: 'password-request', reason: 'the server at memory:1 refused the password (wrong or expired ticket)' });
    page.say({ kind: 'password', password: 'second-ticket' });
    await page.until('connected with the new password', () => connectedCount(page) === 2);
    expect(server.passwordsTried).toEqual(['first-ticket', 'first-ticket', 'second-ticket']);
    // A later drop reconnects with the password that worked last.
    server.crash();
    server.up = true;
    await page.until('connected a third time', () => connectedCount(page) === 3);
    expect(server.passwordsTried.at(-1)).toBe('second-ticket');
    bridge.shutdown();
  });

  it('a first connection that fails is still an error: no reconnecting before a session ever linked', async () => {
    const server = new FakeServer();
    server.up = false;
    const { page } = host(server);
    await page.until('the error', () => page.statuses().includes('error'));
    expect(page.statuses()).toEqual(['connecting', 'error']);
    expect(server.refusals).toBe(1);
    expect(page.open).toBe(false);
  });

  it('ends the page as before when the server sent malformed data', async () => {
    const server = new FakeServer();
    const { page } = host(server);
    await page.until('connected', () => connectedCount(page) === 1);
    // A data header announcing 2 GiB: malformed, not a network problem.
    server.mains[0].feed(new WireWriter().u16(MainMsg.INIT).u32(0x7fffffff).finish());
    await page.until('the error', () => page.statuses().includes('error'));
    expect(page.statuses()).not.toContain('reconnecting');
    expect(page.open).toBe(false);
  });

  it('stops trying once the page is gone', async () => {
    const server = new FakeServer();
    const { page } = host(server);
    await page.until('connected', () => connectedCount(page) === 1);
    server.crash();
    await page.until('a refused attempt', () => server.refusals >= 1);
    page.close();
    const refusals = server.refusals;
    // Longer than the first retry's back-off: a host still trying would have been refused again.
    await watchForNothing(300);
    expect(server.refusals).toBe(refusals);
  });
});
