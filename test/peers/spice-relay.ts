// A SPICE relay for tests: it sits between the client under test and a real server (Xspice, QEMU),
// follows the link stage of every connection, then cuts both directions into whole messages, so a
// test can watch, add, replace or drop messages per channel, cut one channel's connection, or
// refuse a channel's link as a server would. This is how the tests play a hostile or broken server
// on top of a real session (docs/testing.md, "The SPICE relay").
//
// Like misbehaving-server.ts it shares no code or constants with src/protocol: it is written from
// the wire reference (docs/protocol.md, "Link and ticket" and "Message headers"), so that a wrong
// constant in the client shows up. Plain TCP only; a connection whose messages it cannot follow
// (SASL, no mini header) is relayed byte for byte and its hooks are not called.
import { createServer, connect, type Server, type Socket } from 'node:net';

const LINK_MAGIC = 0x51444552; // "REDQ"
const LINK_HEADER_BYTES = 16;
const LINK_REPLY_FIXED_BYTES = 178; // error u32, pub_key[162], three u32 counts/offsets
const TICKET_BYTES = 128;
const CAP_AUTH_SELECTION = 0;
const CAP_MINI_HEADER = 3;
const AUTH_SPICE = 1;
const MINI_HEADER_BYTES = 6; // type u16, size u32
/** Messages a relay holds at most per direction before it refuses to go on (a runaway test). */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export interface RelayedMessage {
  type: number;
  body: Uint8Array;
}

/** One linked channel connection as the relay sees it. */
export interface RelayedChannel {
  readonly type: number;
  readonly id: number;
  /** The order in which this connection reached the relay, from 0. */
  readonly index: number;
  /** Whether the relay follows this connection's messages (false: relayed raw). */
  readonly framed: boolean;
  /** Sends a message to the client on this channel, between two whole server messages. */
  sendToClient(message: RelayedMessage): void;
  /** Sends a message to the server on this channel. */
  sendToServer(message: RelayedMessage): void;
  /** Closes both sides of this connection at once (a cut cable, a crashed server). */
  cut(): void;
  /** Both sides of this connection are closed. */
  readonly closed: boolean;
  /** Which side ended this connection first: the client, the server, or nobody yet. */
  readonly endedBy: 'client' | 'server' | null;
}

/**
 * What a hook returns for a message: undefined relays it unchanged, an array relays those
 * messages instead (empty drops it).
 */
export type MessageHookResult = readonly RelayedMessage[] | undefined;

export interface RelayHooks {
  /** Before the server is asked: a number refuses the link with that SpiceLinkErr code. */
  onLinkRequest?(request: { type: number; id: number; index: number }): number | undefined;
  /** After the server's link result was 0: the channel is up. */
  onLinked?(channel: RelayedChannel): void;
  fromServer?(channel: RelayedChannel, message: RelayedMessage): MessageHookResult;
  fromClient?(channel: RelayedChannel, message: RelayedMessage): MessageHookResult;
  /**
   * The client closed this connection: how long to keep the server's side open before closing it
   * too (default 0). Lets a test order what the server sees, as its threads may on a loaded host.
   */
  serverCloseDelayMs?(channel: RelayedChannel): number;
}

export interface SpiceRelay {
  readonly port: number;
  /** `spice://127.0.0.1:PORT` */
  readonly url: string;
  /** Every channel connection linked through the relay so far, in order. */
  readonly channels: readonly RelayedChannel[];
  /** Resolves with the first linked channel of `type` (and `id`, if given). */
  linked(type: number, id?: number, timeoutMs?: number): Promise<RelayedChannel>;
  /** Closes the listener and every relayed connection. */
  close(): Promise<void>;
}

/** Cuts a byte stream into pieces of known sizes, then into mini-header messages. */
class StreamCutter {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
  }

  /** `n` bytes if that many are buffered, else undefined. */
  take(n: number): Buffer | undefined {
    if (this.buffered < n) return undefined;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = n < all.length ? [all.subarray(n)] : [];
    this.buffered -= n;
    return all.subarray(0, n);
  }

  peek(n: number): Buffer | undefined {
    if (this.buffered < n) return undefined;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [all];
    return all.subarray(0, n);
  }

  rest(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    return all;
  }
}

function hasCap(caps: readonly number[], cap: number): boolean {
  const word = caps[cap >> 5] ?? 0;
  return ((word >>> (cap & 31)) & 1) === 1;
}

function commonCaps(body: Buffer, capsOffset: number, count: number): number[] {
  const caps: number[] = [];
  for (let i = 0; i < count && capsOffset + 4 * i + 4 <= body.length; i++) caps.push(body.readUInt32LE(capsOffset + 4 * i));
  return caps;
}

function miniMessage(message: RelayedMessage): Buffer {
  const header = Buffer.alloc(MINI_HEADER_BYTES);
  header.writeUInt16LE(message.type, 0);
  header.writeUInt32LE(message.body.byteLength, 2);
  return Buffer.concat([header, message.body]);
}

/** A link reply carrying only an error, as a server refusing the channel sends it. */
function refusalReply(code: number): Buffer {
  const reply = Buffer.alloc(LINK_HEADER_BYTES + LINK_REPLY_FIXED_BYTES);
  reply.writeUInt32LE(LINK_MAGIC, 0);
  reply.writeUInt32LE(2, 4);
  reply.writeUInt32LE(2, 8);
  reply.writeUInt32LE(LINK_REPLY_FIXED_BYTES, 12);
  reply.writeUInt32LE(code, LINK_HEADER_BYTES);
  reply.writeUInt32LE(LINK_REPLY_FIXED_BYTES, LINK_HEADER_BYTES + 174);
  return reply;
}

type Waiter = { type: number; id: number | undefined; resolve: (c: RelayedChannel) => void };

export async function startSpiceRelay(target: { host?: string; port: number }, hooks: RelayHooks = {}): Promise<SpiceRelay> {
  const channels: RelayedChannel[] = [];
  const sockets = new Set<Socket>();
  const waiters: Waiter[] = [];
  let connections = 0;

  const announce = (channel: RelayedChannel): void => {
    channels.push(channel);
    hooks.onLinked?.(channel);
    for (const w of [...waiters]) {
      if (w.type === channel.type && (w.id === undefined || w.id === channel.id)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(channel);
      }
    }
  };

  const server: Server = createServer((client) => {
    const index = connections++;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    relayConnection(client, index);
  });

  function relayConnection(client: Socket, index: number): void {
    const fromClient = new StreamCutter();
    const fromServer = new StreamCutter();
    let upstream: Socket | undefined;
    let clientStage: 'link' | 'auth' | 'ticket' | 'messages' | 'raw' = 'link';
    let serverStage: 'reply' | 'result' | 'messages' | 'raw' = 'reply';
    let type = -1;
    let id = -1;
    let clientCaps: number[] = [];
    let serverCaps: number[] = [];
    let channel: RelayedChannel | undefined;
    let endedBy: 'client' | 'server' | null = null;
    let framed = false;

    const cut = (): void => {
      client.destroy();
      upstream?.destroy();
    };

    const pumpClient = (): void => {
      for (;;) {
        if (clientStage === 'link') {
          const header = fromClient.peek(LINK_HEADER_BYTES);
          if (!header) return;
          if (header.readUInt32LE(0) !== LINK_MAGIC) {
            clientStage = 'raw';
            continue;
          }
          const size = header.readUInt32LE(12);
          const whole = fromClient.take(LINK_HEADER_BYTES + size);
          if (!whole) return;
          const mess = whole.subarray(LINK_HEADER_BYTES);
          type = mess.readUInt8(4);
          id = mess.readUInt8(5);
          clientCaps = commonCaps(mess, mess.readUInt32LE(14), mess.readUInt32LE(6));
          const refusal = hooks.onLinkRequest?.({ type, id, index });
          if (refusal !== undefined) {
            client.end(refusalReply(refusal));
            return;
          }
          upstream = openUpstream();
          upstream.write(whole);
          clientStage = 'auth';
        } else if (clientStage === 'auth') {
          // Whether the client sends an auth mechanism depends on the server's caps too.
          if (serverStage === 'reply') return;
          if (!hasCap(clientCaps, CAP_AUTH_SELECTION) || !hasCap(serverCaps, CAP_AUTH_SELECTION)) {
            clientStage = 'ticket';
            continue;
          }
          const mechanism = fromClient.take(4);
          if (!mechanism) return;
          upstream!.write(mechanism);
          clientStage = mechanism.readUInt32LE(0) === AUTH_SPICE ? 'ticket' : 'raw';
        } else if (clientStage === 'ticket') {
          const ticket = fromClient.take(TICKET_BYTES);
          if (!ticket) return;
          upstream!.write(ticket);
          clientStage = framed ? 'messages' : 'raw';
        } else if (clientStage === 'messages') {
          const header = fromClient.peek(MINI_HEADER_BYTES);
          if (!header) return;
          const size = header.readUInt32LE(2);
          if (size > MAX_MESSAGE_BYTES) throw new Error(`spice-relay: the client sent a ${size}-byte message on channel type ${type}`);
          const whole = fromClient.take(MINI_HEADER_BYTES + size);
          if (!whole) return;
          const message = { type: whole.readUInt16LE(0), body: whole.subarray(MINI_HEADER_BYTES) };
          const out = channel ? hooks.fromClient?.(channel, message) : undefined;
          if (!out) upstream!.write(whole);
          else for (const m of out) upstream!.write(miniMessage(m));
        } else {
          const rest = fromClient.rest();
          if (rest.length > 0) upstream?.write(rest);
          return;
        }
      }
    };

    const pumpServer = (): void => {
      for (;;) {
        if (serverStage === 'reply') {
          const header = fromServer.peek(LINK_HEADER_BYTES);
          if (!header) return;
          const size = header.readUInt32LE(12);
          const whole = fromServer.take(LINK_HEADER_BYTES + size);
          if (!whole) return;
          const reply = whole.subarray(LINK_HEADER_BYTES);
          client.write(whole);
          if (reply.readUInt32LE(0) !== 0) {
            serverStage = 'raw';
            continue;
          }
          serverCaps = commonCaps(reply, reply.readUInt32LE(174), reply.readUInt32LE(166));
          framed = hasCap(clientCaps, CAP_MINI_HEADER) && hasCap(serverCaps, CAP_MINI_HEADER);
          // Made now, not at the result: a client may send its first messages (DISPLAY_INIT)
          // right behind the ticket, before the server's link result arrives.
          channel = makeChannel();
          serverStage = 'result';
          pumpClient();
        } else if (serverStage === 'result') {
          const result = fromServer.take(4);
          if (!result) return;
          client.write(result);
          if (result.readUInt32LE(0) !== 0) {
            serverStage = 'raw';
            continue;
          }
          serverStage = framed ? 'messages' : 'raw';
          announce(channel!);
        } else if (serverStage === 'messages') {
          const header = fromServer.peek(MINI_HEADER_BYTES);
          if (!header) return;
          const size = header.readUInt32LE(2);
          if (size > MAX_MESSAGE_BYTES) throw new Error(`spice-relay: the server sent a ${size}-byte message on channel type ${type}`);
          const whole = fromServer.take(MINI_HEADER_BYTES + size);
          if (!whole) return;
          const message = { type: whole.readUInt16LE(0), body: whole.subarray(MINI_HEADER_BYTES) };
          const out = hooks.fromServer?.(channel!, message);
          if (!out) client.write(whole);
          else for (const m of out) client.write(miniMessage(m));
        } else {
          const rest = fromServer.rest();
          if (rest.length > 0) client.write(rest);
          return;
        }
      }
    };

    const makeChannel = (): RelayedChannel => ({
      type,
      id,
      index,
      framed,
      sendToClient: (m) => {
        if (!framed) throw new Error('spice-relay: this connection is relayed raw; it cannot carry an added message');
        client.write(miniMessage(m));
      },
      sendToServer: (m) => {
        if (!framed) throw new Error('spice-relay: this connection is relayed raw; it cannot carry an added message');
        upstream?.write(miniMessage(m));
      },
      cut,
      get closed() {
        return client.destroyed && (upstream === undefined || upstream.destroyed);
      },
      get endedBy() {
        return endedBy;
      },
    });

    const openUpstream = (): Socket => {
      const socket = connect({ host: target.host ?? '127.0.0.1', port: target.port });
      sockets.add(socket);
      socket.on('close', () => {
        endedBy ??= 'server';
        sockets.delete(socket);
        client.destroy();
      });
      socket.on('error', () => socket.destroy());
      socket.on('data', (data: Buffer) => {
        fromServer.push(data);
        pumpGuarded(pumpServer);
      });
      return socket;
    };

    const pumpGuarded = (pump: () => void): void => {
      try {
        pump();
      } catch (e) {
        // A broken test stream: end this connection loudly rather than relay garbage.
        process.stderr.write(`${(e as Error).message}\n`);
        cut();
      }
    };

    client.on('data', (data: Buffer) => {
      fromClient.push(data);
      pumpGuarded(pumpClient);
    });
    client.on('close', () => {
      endedBy ??= 'client';
      const delay = channel ? (hooks.serverCloseDelayMs?.(channel) ?? 0) : 0;
      if (delay > 0) setTimeout(() => upstream?.destroy(), delay).unref();
      else upstream?.destroy();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    url: `spice://127.0.0.1:${port}`,
    channels,
    linked(type, channelId, timeoutMs = 15_000) {
      const found = channels.find((c) => c.type === type && (channelId === undefined || c.id === channelId));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = { type, id: channelId, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const at = waiters.indexOf(waiter);
          if (at < 0) return;
          waiters.splice(at, 1);
          reject(new Error(`spice-relay: no channel of type ${type}${channelId === undefined ? '' : ` id ${channelId}`} linked within ${timeoutMs} ms (linked: ${channels.map((c) => `${c.type}:${c.id}`).join(', ') || 'none'})`));
        }, timeoutMs).unref();
      });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
