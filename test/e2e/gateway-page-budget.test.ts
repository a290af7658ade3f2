// A page that stops reading, through the gateway (in this process, with a small backlog bound)
// against Xspice drawing without pause: the gateway closes that page once the bound is passed,
// and its last message says why; the gateway goes on serving the next page.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { HostMessage } from '../../src/protocol/bridge/bridge-messages.ts';
import { decodeHostPacket } from '../../src/protocol/bridge/host-codec.ts';
import { BRIDGE_VERSION } from '../../src/protocol/bridge/kinds.ts';
import { encodeUiMessage } from '../../src/protocol/bridge/ui-codec.ts';
import { silentLogger, type Logger } from '../../src/protocol/logger.ts';
import { planConnection } from '../../src/main/connect/connector.ts';
import { resolveTarget } from '../../src/main/connect/target.ts';
import { startGateway, type Gateway } from '../../src/main/gateway/gateway-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { waitForWindow } from '../peers/desktop.ts';
import { startXspice, tcpAccepts, type XspiceServer } from '../peers/xspice.ts';

const MiB = 1024 * 1024;
const ASSETS = join(import.meta.dirname, '../../dist/renderer');

describe('a page that stops reading, through the gateway against Xspice', () => {
  let xs: XspiceServer;
  let gateway: Gateway;
  /** The gateway's warnings, to see the moment it gives a page up. */
  const warnings: string[] = [];
  const recording: Logger = {
    ...silentLogger,
    warn: (obj, msg) => void warnings.push(typeof obj === 'string' ? obj : (msg ?? '')),
    child: () => recording,
  };

  beforeAll(async () => {
    xs = await startXspice({ imageCompression: 'off' });
    // A full-screen xterm that never stops scrolling: display messages without end.
    xs.run('xterm', ['-geometry', '160x50+0+0', '-fn', 'fixed', '-T', 'busy', '-e', 'sh', '-c', 'while :; do od -An -tx1 -N 4096 /dev/urandom; done'], { LC_ALL: 'C' });
    await waitForWindow(xs, 'busy');
    const { profile } = await resolveTarget(`spice://127.0.0.1:${xs.port}`);
    gateway = await startGateway({
      host: '127.0.0.1',
      port: 0,
      assetsDir: ASSETS,
      targets: [{ label: 'xspice', profile, plan: planConnection(profile, { timeoutMs: 10_000 }) }],
      logger: recording,
      linkTimeoutMs: 10_000,
      pageBudget: { backlogPerPage: 2 * MiB, backlogTotal: 4 * MiB, imagesTotal: MiB },
    });
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    await xs?.stop();
  });

  /** A page over a raw WebSocket: HELLO, then everything it is sent. */
  function rawPage(): { ws: WebSocket; received: HostMessage[]; closed: Promise<number> } {
    const origin = `http://127.0.0.1:${gateway.port}`;
    const ws = new WebSocket(`ws://127.0.0.1:${gateway.port}/${gateway.token}/ws`, { origin });
    const received: HostMessage[] = [];
    ws.on('message', (data: Buffer) => received.push(...decodeHostPacket(new Uint8Array(data))));
    ws.on('open', () => ws.send(encodeUiMessage({ kind: 'hello', version: BRIDGE_VERSION, target: 0 })));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    return { ws, received, closed };
  }

  const connected = (received: HostMessage[]): true | undefined => (received.some((m) => m.kind === 'status' && m.status.state === 'connected') ? true : undefined);

  it('is closed once its backlog passes the bound, told why, and the next page connects', async () => {
    const stalled = rawPage();
    await waitFor('the first page connected', async () => connected(stalled.received), 20_000);
    // The browser stops reading: what the gateway sends piles up in its backlog.
    stalled.ws.pause();
    await waitFor('the gateway giving the stalled page up', async () => (warnings.includes('closing a page that is too far behind') ? true : undefined), 60_000);
    // It reads again at once: its last STATUS and the close come after what was queued.
    stalled.ws.resume();
    expect(await stalled.closed).toBe(1011);
    const last = stalled.received.filter((m) => m.kind === 'status').at(-1);
    expect(last).toMatchObject({ status: { state: 'error', errorKind: 'timeout' } });
    expect(last?.kind === 'status' && last.status.state === 'error' ? last.status.message : '').toMatch(
      /^the browser is not keeping up with the display \(\d+\.\d MiB queued for this page, at most 2\.0 MiB\); closing this page$/,
    );

    await waitFor('the page gone from the gateway', async () => (gateway.connections() === 0 ? true : undefined), 10_000);
    const next = rawPage();
    // Once in a full run under load the next page never got 'connected': say what it got and
    // whether the server still accepts, with its log, so that a server gone is told apart.
    await waitFor('the next page connected', async () => connected(next.received), 20_000, {
      explain: async () =>
        `the page got ${JSON.stringify(next.received.filter((m) => m.kind === 'status').map((m) => (m.kind === 'status' ? m.status : null)))}; ` +
        `Xspice ${(await tcpAccepts(xs.port)) ? 'accepts' : 'refuses'} connections; its log:\n${xs.logTail(40)}`,
    });
    next.ws.close();
  }, 120_000);
});
