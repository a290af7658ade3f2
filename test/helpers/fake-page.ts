// A page's end of the bridge, in memory, for tests of the host side (BridgeHost): it records every
// host message it gets and sends UI messages as a page would.
import type { HostMessage, UiMessage } from '../../src/protocol/bridge/bridge-messages.ts';
import { decodeHostPacket } from '../../src/protocol/bridge/host-codec.ts';
import { encodeUiMessage } from '../../src/protocol/bridge/ui-codec.ts';
import type { BridgeEndpoint } from '../../src/main/host/bridge-host.ts';

export class FakePage implements BridgeEndpoint {
  open = true;
  readonly bufferedAmount = 0;
  readonly received: HostMessage[] = [];
  private listener: ((bytes: Uint8Array | null) => void) | null = null;
  private closeListener: ((error?: string) => void) | null = null;

  send(bytes: Uint8Array): void {
    this.received.push(...decodeHostPacket(bytes));
  }
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.closeListener?.();
  }
  onMessage(listener: (bytes: Uint8Array | null) => void): void {
    this.listener = listener;
  }
  onClose(listener: (error?: string) => void): void {
    this.closeListener = listener;
  }
  /** Raw bytes, as if the page sent them (malformed ones included). */
  deliver(bytes: Uint8Array): void {
    this.listener?.(bytes);
  }
  say(m: UiMessage): void {
    this.deliver(encodeUiMessage(m));
  }
  /** The states of the STATUS messages, and display resets, in order. */
  statuses(): string[] {
    return this.received.flatMap((m) => (m.kind === 'status' ? [m.status.state] : m.kind === 'display-reset' ? ['display-reset'] : []));
  }
  /** The last status: its message when an error, else the whole of it. */
  lastStatus(): string {
    const s = this.received.filter((m) => m.kind === 'status').at(-1);
    return s && s.kind === 'status' && s.status.state === 'error' ? s.status.message : JSON.stringify(s);
  }
}
