// TCP and Unix-socket transports for SPICE channels.
import { connect, type Socket } from 'node:net';
import { SpiceError } from '../../protocol/wire/errors.ts';
import type { Transport, TransportSink } from '../../protocol/wire/transport.ts';
import { ReadSlabs } from './read-slabs.ts';
import { SinkRelay } from './sink-relay.ts';

export type SocketAddress = { host: string; port: number } | { path: string };

export function describeAddress(a: SocketAddress): string {
  if ('path' in a) return a.path;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * A connected socket as a channel transport: plain TCP, a Unix socket, a proxy tunnel, or TLS
 * over any of them (a TLSSocket is a Socket). `what` names it in errors ("TLS connection").
 */
/**
 * Idle time before TCP probes a silent peer: a network cut that nobody reports (a cable pulled
 * between two routers, a laptop suspended) is then noticed in seconds instead of never, and the
 * session can reconnect. Only idle connections are probed: a busy one fails by its retransmissions.
 */
export const KEEPALIVE_IDLE_MS = 10_000;

export class SocketTransport implements Transport {
  readonly description: string;
  private readonly socket: Socket;
  private readonly relay: SinkRelay;

  /**
   * `userReads`: the socket was opened with `onread` (openSocket) and its bytes reach `relay` from
   * there; otherwise they come as 'data' events.
   */
  constructor(socket: Socket, description: string, what = 'connection', userReads?: { relay: SinkRelay }) {
    this.socket = socket;
    this.description = description;
    this.relay = userReads?.relay ?? new SinkRelay();
    socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
    if (!userReads) socket.on('data', (chunk: Buffer) => this.relay.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    socket.on('error', (err) => this.relay.end(new SpiceError('unreachable', `${what} to ${description} failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.relay.end());
    // A socket handed over paused (a proxy tunnel after its reply) must flow again.
    socket.resume();
  }

  start(sink: TransportSink): void {
    this.relay.start(sink);
  }

  write(data: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  writev(chunks: Uint8Array[]): void {
    if (this.socket.destroyed) return;
    // Corked writes reach the socket as one writev of all the chunks: no joined copy in between.
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  backlog(): number {
    return this.socket.destroyed ? 0 : this.socket.writableLength;
  }

  onDrain(listener: () => void): void {
    // A socket that closes never drains: the listener is dropped with it (its writers go too).
    this.socket.once('drain', listener);
  }

  // A socket opened with `onread` stops reading from the OS while paused (Node's readStop), so
  // what the peer sends meanwhile comes in one read on resume; a TLS socket stops its 'data'.
  pauseReads(): void {
    if (!this.socket.destroyed) this.socket.pause();
  }

  resumeReads(): void {
    if (!this.socket.destroyed) this.socket.resume();
  }

  /** Sends what is still buffered (the last keys of a `do` script), then closes. */
  close(): void {
    if (this.socket.destroyed) return;
    this.socket.end();
    // A peer that never reads must not keep the socket open.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}

/** Opens a socket; a failure becomes an 'unreachable' error that says what to check. */
export function openSocket(address: SocketAddress, timeoutMs: number): Promise<Transport> {
  const description = describeAddress(address);
  return new Promise((resolve, reject) => {
    // Reads go into slabs (read-slabs.ts) and straight to the relay, which keeps them until the
    // channel starts: no per-read buffers, no stream machinery per read.
    const relay = new SinkRelay();
    const slabs = new ReadSlabs();
    const onread = {
      buffer: () => slabs.next(),
      callback: (n: number): boolean => {
        relay.data(slabs.take(n));
        return true; // false would pause the socket
      },
    };
    const socket = 'path' in address ? connect({ path: address.path, onread }) : connect({ host: address.host, port: address.port, onread });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SpiceError('unreachable', `connecting to ${description} timed out after ${Math.round(timeoutMs / 1000)} s; check the host, the port and any firewall`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new SocketTransport(socket, description, 'connection', { relay }));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new SpiceError('unreachable', explainSocketError(err, description), { cause: err }));
    });
  });
}

function explainSocketError(err: NodeJS.ErrnoException, where: string): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection: is the SPICE server running on that port?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host name in ${where}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} is unreachable from this machine`;
    case 'ETIMEDOUT':
      return `connecting to ${where} timed out`;
    case 'ENOENT':
      return `no Unix socket at ${where}`;
    case 'EACCES':
      return `permission denied opening ${where}`;
    default:
      return `cannot connect to ${where}: ${err.message}`;
  }
}
