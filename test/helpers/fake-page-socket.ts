// The `ws` WebSocket a gateway page is served over, faked for unit tests of GatewayConnection: it
// decodes what the host sends, records close and terminate, and lets a test set the backlog.
import { EventEmitter } from 'node:events';
import type { HostMessage } from '../../src/protocol/bridge/bridge-messages.ts';
import { decodeHostPacket } from '../../src/protocol/bridge/host-codec.ts';

export class FakePageSocket extends EventEmitter {
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readyState = 1;
  /** What the page has not read yet, as `ws` counts it; the host bounds it. */
  bufferedAmount = 0;
  readonly sent: HostMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  terminated = false;

  send(bytes: Uint8Array): void {
    this.sent.push(...decodeHostPacket(bytes));
  }

  close(code: number, reason = ''): void {
    if (this.closed) return;
    this.closed = { code, reason };
    this.readyState = 2;
  }

  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
    this.emit('close');
  }
}
