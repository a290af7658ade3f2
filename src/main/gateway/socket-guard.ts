// Every TCP connection to the gateway, until it shows the access token. Anyone who can reach the
// port can open connections and send nothing, or garbage: each holds a file descriptor, and 300
// of them once left none for the page that holds the token. So a connection that has not yet made
// a request with the token is "pending": it has a few seconds to do so, pending connections are
// capped (per address and in total), and when a new one comes over a cap the oldest pending one
// goes, so the page's own fresh connections (which send their request at once) always get in.
import type { Socket } from 'node:net';

export interface SocketLimits {
  /** Connections without the token yet, from every address together. */
  maxPending: number;
  /** Connections without the token yet, from one address. */
  maxPendingPerAddress: number;
  /** Time a connection has to make a request with the token (headers or WebSocket upgrade done). */
  pendingTimeoutMs: number;
  /** Open page WebSockets at once (each page has two: its bridge and its input socket); more are refused with 503. */
  maxPages: number;
  /** Every connection together, the token's included: the listener takes no more (server.maxConnections). */
  maxSockets: number;
}

export const DEFAULT_SOCKET_LIMITS: SocketLimits = {
  maxPending: 64,
  maxPendingPerAddress: 32,
  pendingTimeoutMs: 10_000,
  // 64 pages, each with its bridge and its input socket.
  maxPages: 64 * 2,
  maxSockets: 512,
};

interface Pending {
  address: string;
  timer: ReturnType<typeof setTimeout>;
}

export class SocketGuard {
  /** In arrival order: the first is the oldest. */
  private readonly pending = new Map<Socket, Pending>();
  readonly stats = { admitted: 0, evicted: 0, timedOut: 0 };

  constructor(private readonly limits: SocketLimits) {}

  /** A new connection: pending until trust(); may push out the oldest pending one. */
  admit(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    this.stats.admitted++;
    socket.once('close', () => this.forget(socket));
    if (this.countFrom(address) >= this.limits.maxPendingPerAddress) this.evictOldest((p) => p.address === address);
    if (this.pending.size >= this.limits.maxPending) this.evictOldest(() => true);
    const timer = setTimeout(() => {
      this.stats.timedOut++;
      this.forget(socket);
      socket.destroy();
    }, this.limits.pendingTimeoutMs);
    timer.unref();
    this.pending.set(socket, { address, timer });
  }

  /** The connection made a request with the token: no deadline, never pushed out. */
  trust(socket: Socket): void {
    this.forget(socket);
  }

  /** Connections without the token that are open now. */
  get pendingCount(): number {
    return this.pending.size;
  }

  private countFrom(address: string): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.address === address) n++;
    return n;
  }

  private evictOldest(which: (p: Pending) => boolean): void {
    for (const [socket, p] of this.pending) {
      if (!which(p)) continue;
      this.stats.evicted++;
      this.forget(socket);
      socket.destroy();
      return;
    }
  }

  private forget(socket: Socket): void {
    const p = this.pending.get(socket);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(socket);
  }

  /** The gateway is closing. */
  clear(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }
}
