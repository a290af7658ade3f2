// GatewayConnection against a fake WebSocket: the limits that the browser tests cannot reach.
import { describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { encodeUiMessage } from '../../../../src/protocol/bridge/ui-codec.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { FakePageSocket } from '../../../helpers/fake-page-socket.ts';
import { DEFAULT_PAGE_BUDGET } from '../../../../src/main/host/page-budget.ts';
import { PassThrough, type Writable } from 'node:stream';
import * as wsLibrary from 'ws';
import { CLOSE_GRACE_MS, GatewayConnection, webSocketEndpoint } from '../../../../src/main/gateway/gateway-connection.ts';
import { decodeHostPacket } from '../../../../src/protocol/bridge/host-codec.ts';
import { waitUntil } from '../../../helpers/wait.ts';

const options = { targets: [], logger: silentLogger, linkTimeoutMs: 1000, helloTimeoutMs: 50 };

/** ws's frame parser (the page's side of the framing), which its type definitions leave out. */
const { Receiver } = wsLibrary as unknown as { Receiver: new (o: { isServer: boolean; maxPayload: number }) => Writable };

describe('GatewayConnection', () => {
  it('says hello first, in the packet of the first turn', async () => {
    const ws = new FakePageSocket();
    const c = new GatewayConnection(ws as unknown as WebSocket, options, 1);
    expect(ws.sent).toEqual([]); // queued until the end of this turn of the event loop
    await new Promise((r) => setImmediate(r));
    expect(ws.sent).toEqual([{ kind: 'hello', version: BRIDGE_VERSION }]);
    c.shutdown();
  });

  it('drops a page that does not read, with one last status instead of buffering without end', () => {
    const ws = new FakePageSocket();
    ws.bufferedAmount = DEFAULT_PAGE_BUDGET.backlogPerPage + 1;
    new GatewayConnection(ws as unknown as WebSocket, options, 1);
    expect(ws.sent).toEqual([
      {
        kind: 'status',
        status: { state: 'error', errorKind: 'timeout', message: 'the browser is not keeping up with the display (64 MiB queued for this page, at most 64 MiB); closing this page' },
      },
    ]);
    expect(ws.closed?.code).toBe(1011);
  });

  it('lets go of a closed page that does not answer the close (its backlog with it) after a grace', () => {
    vi.useFakeTimers();
    try {
      const ws = new FakePageSocket();
      ws.bufferedAmount = DEFAULT_PAGE_BUDGET.backlogPerPage + 1;
      new GatewayConnection(ws as unknown as WebSocket, options, 1);
      expect(ws.closed?.code).toBe(1011);
      vi.advanceTimersByTime(CLOSE_GRACE_MS - 1);
      expect(ws.terminated).toBe(false);
      vi.advanceTimersByTime(1);
      expect(ws.terminated).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops a page that sends no HELLO in time', async () => {
    const ws = new FakePageSocket();
    new GatewayConnection(ws as unknown as WebSocket, options, 1);
    await waitUntil('the page dropped', () => ws.closed !== null, 5000);
    expect(ws.sent[1]).toEqual({ kind: 'status', status: { state: 'error', errorKind: 'protocol', message: 'no HELLO within 0.05 s' } });
    expect(ws.closed?.code).toBe(1008);
  });

  it('ignores whatever comes after it closed the page', () => {
    const ws = new FakePageSocket();
    new GatewayConnection(ws as unknown as WebSocket, { ...options, helloTimeoutMs: 10_000 }, 1);
    ws.emit('message', Buffer.from(encodeUiMessage({ kind: 'hello', version: BRIDGE_VERSION, target: 4 })), true);
    expect(ws.closed?.code).toBe(1008);
    const count = ws.sent.length;
    ws.emit('message', Buffer.from(encodeUiMessage({ kind: 'key-down', scancode: 0x1e })), true);
    ws.emit('message', Buffer.from([0xff]), true);
    expect(ws.sent).toHaveLength(count);
  });
});

describe('webSocketEndpoint over the upgraded socket', () => {
  /** The endpoint with a socket whose bytes a `ws` Receiver (the page's side of the framing) decodes. */
  function framedEndpoint() {
    const ws = new FakePageSocket();
    const socket = new PassThrough();
    const received: Buffer[] = [];
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data: Buffer, isBinary: boolean) => {
      expect(isBinary).toBe(true);
      received.push(data);
    });
    socket.pipe(receiver);
    const endpoint = webSocketEndpoint(ws as unknown as WebSocket, socket);
    return { ws, socket, endpoint, received };
  }

  it('writes each packet as one binary frame, whatever its length field takes (7, 16 or 64 bits)', async () => {
    const { endpoint, received } = framedEndpoint();
    const sizes = [5, 125, 126, 300, 65535, 65536, 200_000];
    for (const size of sizes) {
      endpoint.sendFilled?.(size, (out) => {
        expect(out.byteLength).toBe(size);
        for (let i = 0; i < size; i++) out[i] = (i * 7 + size) & 0xff;
      });
    }
    await waitUntil('every frame decoded', () => received.length === sizes.length, 5000);
    for (const [n, size] of sizes.entries()) {
      expect(received[n].byteLength).toBe(size);
      expect(received[n].every((b, i) => b === ((i * 7 + size) & 0xff))).toBe(true);
    }
  });

  it("carries the host's packets: a GatewayConnection's hello arrives framed on the socket", async () => {
    const ws = new FakePageSocket();
    const socket = new PassThrough();
    const received: Buffer[] = [];
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data: Buffer) => received.push(data));
    socket.pipe(receiver);
    const c = new GatewayConnection(ws as unknown as WebSocket, options, 1, socket);
    await waitUntil('the hello', () => received.length === 1, 5000);
    expect(decodeHostPacket(new Uint8Array(received[0]))).toEqual([{ kind: 'hello', version: BRIDGE_VERSION }]);
    expect(ws.sent).toEqual([]);
    c.shutdown();
  });

  it('writes nothing once the WebSocket is no longer open', () => {
    const { ws, socket, endpoint } = framedEndpoint();
    const writes: unknown[] = [];
    socket.write = ((chunk: unknown) => writes.push(chunk) > 0) as typeof socket.write;
    ws.readyState = 2;
    endpoint.sendFilled?.(10, () => {
      throw new Error('not to be filled');
    });
    expect(writes).toEqual([]);
  });
});
