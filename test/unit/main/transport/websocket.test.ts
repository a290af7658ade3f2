import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { describeWebSocketUrl, openWebSocket } from '../../../../src/main/transport/websocket-transport.ts';
import { waitUntil } from '../../../helpers/wait.ts';

describe('describeWebSocketUrl', () => {
  it('drops the query (a gateway ticket) and keeps scheme, host, port and path', () => {
    expect(describeWebSocketUrl('wss://gw.example:8443/spice/vm1?ticket=SECRET')).toBe('wss://gw.example:8443/spice/vm1');
    expect(describeWebSocketUrl('ws://[::1]:5959/')).toBe('ws://[::1]:5959');
  });
});

describe('openWebSocket against a ws server', () => {
  let http: Server | undefined;
  let wss: WebSocketServer | undefined;
  afterEach(async () => {
    wss?.close();
    await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
    http = undefined;
    wss = undefined;
  });

  async function serve(onConnection: (ws: WebSocket, protocol: string) => void): Promise<number> {
    http = createServer((_req, res) => {
      res.writeHead(404).end();
    });
    wss = new WebSocketServer({ server: http, path: '/spice' });
    wss.on('connection', (ws) => onConnection(ws, ws.protocol));
    await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
    return (http.address() as { port: number }).port;
  }

  it('hands nothing on while its reads are held, and every message in order once they flow', async () => {
    let server: WebSocket | undefined;
    const port = await serve((ws) => (server = ws));
    const t = await openWebSocket(`ws://127.0.0.1:${port}/spice`, 2000);
    const got: number[] = [];
    t.start({ data: (c) => got.push(...c), end: () => {} });
    await waitUntil('the server side', () => server !== undefined, 5000);
    t.pauseReads?.();
    for (const b of [1, 2, 3]) await new Promise<void>((r) => server!.send(Buffer.from([b]), () => r()));
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([]);
    t.resumeReads?.();
    await waitUntil('the held messages', () => got.length === 3, 5000);
    expect(got).toEqual([1, 2, 3]);
    t.close();
  });

  it('carries bytes both ways in binary messages, asking for the binary subprotocol', async () => {
    const seen: { protocol?: string; bytes: Buffer[] } = { bytes: [] };
    const port = await serve((ws, protocol) => {
      seen.protocol = protocol;
      ws.on('message', (d: Buffer, isBinary: boolean) => {
        expect(isBinary).toBe(true);
        seen.bytes.push(d);
        ws.send(Buffer.from([1, 2]));
        ws.send(Buffer.from([3]));
      });
    });
    const t = await openWebSocket(`ws://127.0.0.1:${port}/spice?token=abc`, 2000);
    const got: number[] = [];
    const done = new Promise<void>((resolve) =>
      t.start({
        data: (c) => {
          got.push(...c);
          if (got.length === 3) resolve();
        },
        end: () => {},
      }),
    );
    t.write(new Uint8Array([0x52, 0x45, 0x44, 0x51]));
    await done;
    expect(got).toEqual([1, 2, 3]);
    expect(seen.protocol).toBe('binary');
    expect(Buffer.concat(seen.bytes).toString('latin1')).toBe('REDQ');
    expect(t.description).toBe(`ws://127.0.0.1:${port}/spice`);
    t.close();
  });

  it('a text message ends the transport with a protocol error', async () => {
    const port = await serve((ws) => ws.send('hello'));
    const t = await openWebSocket(`ws://127.0.0.1:${port}/spice`, 2000);
    const ended = await new Promise<Error | undefined>((resolve) => t.start({ data: () => {}, end: resolve }));
    expect(ended).toMatchObject({ kind: 'protocol', message: expect.stringMatching(/text WebSocket message/) });
  });

  it('an HTTP answer instead of an upgrade names the status and never the query', async () => {
    const port = await serve(() => {});
    await expect(openWebSocket(`ws://127.0.0.1:${port}/other?ticket=SECRET`, 2000)).rejects.toMatchObject({
      kind: 'unreachable',
      message: expect.stringMatching(new RegExp(`^ws://127\\.0\\.0\\.1:${port}/other did not accept the WebSocket upgrade \\(HTTP 40[04]`)),
    });
    await expect(openWebSocket(`ws://127.0.0.1:${port}/other?ticket=SECRET`, 2000)).rejects.not.toThrow(/SECRET/);
  });

  it('a closed port is unreachable', async () => {
    const port = await serve(() => {});
    await new Promise<void>((r) => http!.close(() => r()));
    wss?.close();
    http = undefined;
    await expect(openWebSocket(`ws://127.0.0.1:${port}/spice`, 2000)).rejects.toThrow(/refused the connection/);
  });
});
