// The gateway's HTTP side on its own (no SPICE server): one-time launch links, and connections that
// never show the token (idle, garbage, slow) bounded so that the page that holds it still gets in.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeHostPacket } from '../../../../src/protocol/bridge/host-codec.ts';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { startGateway, type Gateway, type GatewayOptions } from '../../../../src/main/gateway/gateway-server.ts';
import { LaunchCodes } from '../../../../src/main/gateway/launch-codes.ts';
import { waitFor, waitUntil } from '../../../helpers/wait.ts';

let assetsDir: string;
const gateways: Gateway[] = [];
const clients: Socket[] = [];

beforeAll(() => {
  assetsDir = mkdtempSync(join(tmpdir(), 'spicedesk-gateway-'));
  writeFileSync(join(assetsDir, 'index.html'), '<!doctype html><title>the page</title>');
});
afterAll(() => rmSync(assetsDir, { recursive: true, force: true }));
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function gateway(o: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const g = await startGateway({ host: '127.0.0.1', port: 0, assetsDir, targets: [], logger: silentLogger, linkTimeoutMs: 1000, ...o });
  gateways.push(g);
  return g;
}

interface Reply {
  status: number;
  location?: string;
  body: string;
}

function get(url: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface RawClient {
  socket: Socket;
  /** What the server sent. */
  received: string;
  /** The server ended or reset the connection. */
  ended: boolean;
}

/** A raw connection that stays open from our side (allowHalfOpen): only the server can end it. */
function rawSocket(g: Gateway, send?: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: g.port, allowHalfOpen: true }, () => {
      if (send !== undefined) s.write(send);
      resolve(client);
    });
    const client: RawClient = { socket: s, received: '', ended: false };
    s.on('data', (d: Buffer) => (client.received += d.toString('latin1')));
    s.on('end', () => (client.ended = true));
    s.on('close', () => (client.ended = true));
    s.on('error', () => undefined);
    s.once('error', reject);
    clients.push(s);
  });
}

/** The page's WebSocket: resolves with the host's first message. */
function firstBridgeMessage(g: Gateway): Promise<HostMessage> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${g.port}/${g.token}/ws`, { origin: `http://127.0.0.1:${g.port}` });
    ws.on('message', (data: Buffer) => {
      resolve(decodeHostPacket(new Uint8Array(data))[0]);
      ws.terminate();
    });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

describe('launch links', () => {
  it('hold no token, open the page once by a redirect, and say so when used again', async () => {
    const g = await gateway();
    const link = g.launchUrl();
    expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${g.port}/launch/[A-Za-z0-9_-]{22}$`));
    expect(link).not.toContain(g.token);
    const first = await get(link);
    expect(first.status).toBe(303);
    expect(first.location).toBe(`/${g.token}/`);
    expect((await get(`http://127.0.0.1:${g.port}${first.location}`)).body).toContain('the page');
    const again = await get(link);
    expect(again.status).toBe(410);
    expect(again.body).toContain('already used');
    expect(again.body).not.toContain(g.token);
    // Each link is its own: another one still works.
    expect((await get(g.launchUrl())).status).toBe(303);
  });

  it('are good for a few seconds only', async () => {
    let now = 1_000_000;
    const g = await gateway({ launchCodes: new LaunchCodes(5000, () => now) });
    const link = g.launchUrl();
    now += 5001;
    const late = await get(link);
    expect(late.status).toBe(410);
    expect(late.body).toContain('out of date');
    expect(late.body).not.toContain(g.token);
    now += 1;
    // Still not the page on a second try.
    expect((await get(link)).status).toBe(410);
  });

  it('refuse a code the gateway never issued', async () => {
    const g = await gateway();
    for (const path of ['/launch/AAAAAAAAAAAAAAAAAAAAAA', '/launch/', `/launch/${g.token}`, '/launch/a/b']) {
      const r = await get(`http://127.0.0.1:${g.port}${path}`);
      expect(r.status, path).toBe(404);
      expect(r.body).toContain('not a launch link');
    }
  });
});

describe('connections without the token', () => {
  it('are closed, not half-closed, after garbage: the descriptor goes', async () => {
    const g = await gateway({ socketLimits: { pendingTimeoutMs: 60_000 } });
    const c = await rawSocket(g, 'NOT HTTP AT ALL\r\n\r\n');
    await waitUntil('the 400 reply', () => c.received.startsWith('HTTP/1.1 400'));
    // Our side never ends: only a destroyed socket on the server's side brings this to 0.
    await waitUntil('the server let go of the connection', async () => (await g.sockets()) === 0, 5000);
  });

  it('are capped (per address and in total, oldest out) and timed out, and the page with the token still gets in', async () => {
    const limits = { maxPending: 16, maxPendingPerAddress: 8, pendingTimeoutMs: 1500 };
    const g = await gateway({ socketLimits: limits });
    const idle = await Promise.all(Array.from({ length: 150 }, () => rawSocket(g)));
    // Headers begun and never finished, a WebSocket upgrade never completed, and garbage.
    const slow = await Promise.all(Array.from({ length: 50 }, (_, i) => rawSocket(g, i % 2 ? 'GET / HTTP/1.1\r\nHost: x' : `GET /${g.token}/ws HTTP/1.1\r\nUpgrade: websocket\r\n`)));
    const garbage = await Promise.all(Array.from({ length: 50 }, () => rawSocket(g, '\u0000\u0001garbage\r\n\r\n')));
    await waitUntil('the gateway saw every connection', () => g.pendingSockets().admitted >= 250);
    await waitUntil('the pending connections within the cap', async () => (await g.sockets()) <= limits.maxPendingPerAddress);
    expect(g.pendingSockets().open).toBeLessThanOrEqual(limits.maxPendingPerAddress);
    expect(g.pendingSockets().evicted).toBeGreaterThan(100);
    // The page and its socket, with the token, while the flood goes on.
    const more = await Promise.all(Array.from({ length: 20 }, () => rawSocket(g)));
    expect((await get(`http://127.0.0.1:${g.port}/${g.token}/`)).body).toContain('the page');
    expect(await firstBridgeMessage(g)).toMatchObject({ kind: 'hello' });
    // Everything that never showed the token is gone after its time.
    await waitUntil('every pending connection timed out', () => g.pendingSockets().open === 0, 10_000);
    await waitFor('every client socket ended by the server', () => ([...idle, ...slow, ...garbage, ...more].every((c) => c.ended) ? true : undefined), 5000);
    expect(g.pendingSockets().timedOut).toBeGreaterThan(0);
  });

  it('refuses pages over the cap with 503, and takes them again when one leaves', async () => {
    const g = await gateway({ socketLimits: { maxPages: 1 } });
    const first = new WebSocket(`ws://127.0.0.1:${g.port}/${g.token}/ws`, { origin: `http://127.0.0.1:${g.port}` });
    await new Promise((resolve) => first.once('open', resolve));
    await waitUntil('one page', () => g.connections() === 1);
    await expect(firstBridgeMessage(g)).rejects.toThrow('upgrade refused: 503');
    first.close();
    await waitUntil('no page', () => g.connections() === 0);
    expect(await firstBridgeMessage(g)).toMatchObject({ kind: 'hello' });
  });
});
