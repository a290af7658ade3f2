// GatewayConnection against a fake WebSocket: the limits that the browser tests cannot reach.
import { describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { encodeUiMessage } from '../../../../src/protocol/bridge/ui-codec.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { FakePageSocket } from '../../../helpers/fake-page-socket.ts';
import { DEFAULT_PAGE_BUDGET } from '../../../../src/main/host/page-budget.ts';
import { CLOSE_GRACE_MS, GatewayConnection } from '../../../../src/main/gateway/gateway-connection.ts';
import { waitUntil } from '../../../helpers/wait.ts';

const options = { targets: [], logger: silentLogger, linkTimeoutMs: 1000, helloTimeoutMs: 50 };

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
