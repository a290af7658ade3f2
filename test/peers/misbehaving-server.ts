// A scripted fake SPICE server for the link stage (docs/protocol.md, "Link and ticket"). It plays a correct server
// ('good', which checks the ticket password) or one of several broken ones, and records everything
// each client sent so tests can check the client's link message.
//
// It deliberately shares no code or constants with src/protocol: it is the independent other side
// of the wire, written from the protocol reference, so a wrong constant in the client shows up.
import { constants as cryptoConstants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';

export type Scenario =
  | 'good' // a correct link; the ticket must decrypt to opts.password (if set)
  | 'wrong-magic' // answers with a link header whose magic is not REDQ
  | 'link-error' // answers with error opts.linkError, in the reply or as the final result
  | 'short-reply' // sends the header and half of the reply, then closes
  | 'huge-size' // a reply header announcing 0xFFFFFFF0 bytes, then nothing
  | 'garbage-after-link' // a correct link, then a data header announcing 0x7FFFFFFF bytes and noise
  | 'silent' // accepts and never answers
  | 'ok-then-close'; // a correct link, then closes at once

export interface MisbehavingServerOptions {
  /** The ticket password; undefined turns ticketing off (any ticket links). */
  password?: string;
  /** 'link-error': the code (default 7, PERMISSION_DENIED). */
  linkError?: number;
  /** 'link-error': in the LinkReply.error field (default) or as the u32 result after the ticket. */
  linkErrorStage?: 'reply' | 'result';
  /** Common capability numbers the server announces; default AUTH_SELECTION, AUTH_SPICE, MINI_HEADER. */
  commonCaps?: readonly number[];
  /** Channel capability numbers the server announces; default none. */
  channelCaps?: readonly number[];
  /** 'good': the channel capabilities announced to this link, in place of channelCaps (each channel type has its own). */
  channelCapsFor?: (link: ClientLink) => readonly number[] | undefined;
  /** 'wrong-magic': the 4 bytes sent in place of REDQ; default 'QDER'. */
  wrongMagic?: Buffer;
  /** 'garbage-after-link': the bytes sent after the link; default a huge data header and noise. */
  garbage?: Buffer;
  /** Seed of the noise in 'garbage-after-link'. */
  seed?: number;
  /**
   * Keep what the client sends after a successful link in `received` (default true). A bench that
   * moves megabytes through a linked channel turns this off: the record is the whole stream so far,
   * copied anew with every chunk.
   */
  recordAfterLink?: boolean;
  /** 'good': called after the link succeeds; the test then drives the socket. */
  onLinked?: (socket: Socket, link: ClientLink) => void;
  /**
   * 'good': a link error code to answer this link with (in the reply), or undefined to accept it;
   * for refusing one channel of a session (e.g. the display) while the others link.
   */
  refuseLink?: (link: ClientLink) => number | undefined;
}

/** What the client sent in the link stage, decoded. */
export interface ClientLink {
  /** The first 4 header bytes as latin1 text ('REDQ' from a correct client). */
  magic: string;
  major: number;
  minor: number;
  size: number;
  connectionId: number;
  channelType: number;
  channelId: number;
  capsOffset: number;
  commonCapWords: number[];
  channelCapWords: number[];
  /** The capability numbers set in the words. */
  commonCaps: number[];
  channelCaps: number[];
  authMechanism?: number;
  ticket?: Buffer;
  /** The decrypted ticket up to its NUL; null if it did not decrypt. */
  ticketPassword?: string | null;
  /** The u32 link result the server sent. */
  linkResult?: number;
}

export interface ConnectionRecord {
  /** Every byte the client sent on this connection, in order. */
  received: Buffer;
  link?: ClientLink;
  /** Resolves when the socket has closed (either side). */
  closed: Promise<void>;
  /** True if the client closed or reset the connection before the server did. */
  closedByClient: boolean;
}

export interface MisbehavingServer {
  readonly port: number;
  /** What the client sent, one Buffer per connection, in order of connection (updated live). */
  readonly received: Buffer[];
  readonly connections: ConnectionRecord[];
  /** The public key of the server's RSA pair (for tests that build tickets themselves). */
  readonly publicKeyDer: Buffer;
  /** Resolves once `count` connections have been accepted. */
  waitForConnections(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

// Wire constants, from docs/protocol.md, "Link and ticket".
const MAGIC = Buffer.from('REDQ', 'latin1');
const MAJOR = 2;
const MINOR = 2;
const HEADER_BYTES = 16;
const LINK_MESS_BYTES = 18;
const LINK_REPLY_BYTES = 178;
const PUBKEY_BYTES = 162;
const TICKET_BYTES = 128;
const MAX_LINK_SIZE = 4096;
const CAP_AUTH_SELECTION = 0;
const CAP_AUTH_SPICE = 1;
const CAP_MINI_HEADER = 3;
const ERR_OK = 0;
const ERR_INVALID_MAGIC = 2;
const ERR_INVALID_DATA = 3;
const ERR_PERMISSION_DENIED = 7;

export function capWords(caps: readonly number[]): number[] {
  const words: number[] = [];
  for (const cap of caps) {
    const index = cap >>> 5;
    while (words.length <= index) words.push(0);
    words[index] = (words[index] | (1 << (cap & 31))) >>> 0;
  }
  return words;
}

export function capsFromWords(words: readonly number[]): number[] {
  const caps: number[] = [];
  words.forEach((word, index) => {
    for (let bit = 0; bit < 32; bit++) if ((word >>> bit) & 1) caps.push(index * 32 + bit);
  });
  return caps;
}

export function linkHeader(size: number, magic: Buffer = MAGIC): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  magic.copy(header, 0, 0, 4);
  header.writeUInt32LE(MAJOR, 4);
  header.writeUInt32LE(MINOR, 8);
  header.writeUInt32LE(size >>> 0, 12);
  return header;
}

/** Header + SpiceLinkReply + caps, as a real server sends it. */
export function linkReply(publicKeyDer: Buffer, commonCaps: readonly number[], channelCaps: readonly number[], magic: Buffer = MAGIC): Buffer {
  const common = capWords(commonCaps);
  const channel = capWords(channelCaps);
  const body = Buffer.alloc(LINK_REPLY_BYTES + 4 * (common.length + channel.length));
  body.writeUInt32LE(ERR_OK, 0);
  publicKeyDer.copy(body, 4);
  body.writeUInt32LE(common.length, 166);
  body.writeUInt32LE(channel.length, 170);
  body.writeUInt32LE(LINK_REPLY_BYTES, 174);
  [...common, ...channel].forEach((word, i) => body.writeUInt32LE(word, LINK_REPLY_BYTES + 4 * i));
  return Buffer.concat([linkHeader(body.length, magic), body]);
}

/** What a real server sends on a link error: the header and a zeroed reply with only `error`. */
export function linkErrorReply(code: number): Buffer {
  const body = Buffer.alloc(LINK_REPLY_BYTES);
  body.writeUInt32LE(code >>> 0, 0);
  return Buffer.concat([linkHeader(LINK_REPLY_BYTES), body]);
}

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value >>> 0, 0);
  return out;
}

/** Decodes a client's SpiceLinkHeader + SpiceLinkMess + caps; undefined if it is malformed. */
export function parseClientLink(data: Buffer): ClientLink | undefined {
  if (data.length < HEADER_BYTES + LINK_MESS_BYTES) return undefined;
  const size = data.readUInt32LE(12);
  const mess = data.subarray(HEADER_BYTES, HEADER_BYTES + size);
  if (mess.length < LINK_MESS_BYTES) return undefined;
  const numCommon = mess.readUInt32LE(6);
  const numChannel = mess.readUInt32LE(10);
  const capsOffset = mess.readUInt32LE(14);
  if (numCommon > 1024 || numChannel > 1024 || capsOffset + 4 * (numCommon + numChannel) > mess.length) return undefined;
  const words = (start: number, count: number): number[] =>
    Array.from({ length: count }, (_, i) => mess.readUInt32LE(start + 4 * i));
  const commonCapWords = words(capsOffset, numCommon);
  const channelCapWords = words(capsOffset + 4 * numCommon, numChannel);
  return {
    magic: data.subarray(0, 4).toString('latin1'),
    major: data.readUInt32LE(4),
    minor: data.readUInt32LE(8),
    size,
    connectionId: mess.readUInt32LE(0),
    channelType: mess.readUInt8(4),
    channelId: mess.readUInt8(5),
    capsOffset,
    commonCapWords,
    channelCapWords,
    commonCaps: capsFromWords(commonCapWords),
    channelCaps: capsFromWords(channelCapWords),
  };
}

function seededBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    // xorshift32: deterministic noise, so a failing case can be replayed
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state & 0xff;
  }
  return out;
}

/** A data-message header that announces 0x7FFFFFFF body bytes, then 4 KiB of noise. */
function defaultGarbage(miniHeader: boolean, seed: number): Buffer {
  const MSG_TYPE = 101; // a plausible channel message type
  const HUGE = 0x7fffffff;
  let header: Buffer;
  if (miniHeader) {
    header = Buffer.alloc(6);
    header.writeUInt16LE(MSG_TYPE, 0);
    header.writeUInt32LE(HUGE, 2);
  } else {
    header = Buffer.alloc(18);
    header.writeBigUInt64LE(1n, 0);
    header.writeUInt16LE(MSG_TYPE, 8);
    header.writeUInt32LE(HUGE, 10);
    header.writeUInt32LE(0, 14);
  }
  return Buffer.concat([header, seededBytes(4096, seed)]);
}

export async function startMisbehavingServer(scenario: Scenario, options: MisbehavingServerOptions = {}): Promise<MisbehavingServer> {
  // One key per server rather than per connection: generating costs a few ms, and tests that
  // reconnect may as well see the same key.
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 0x10001 });
  const publicKeyDer = publicKey.export({ type: 'spki', format: 'der' });
  if (publicKeyDer.length !== PUBKEY_BYTES) {
    throw new Error(`RSA-1024 SPKI is ${publicKeyDer.length} bytes, the link reply has room for ${PUBKEY_BYTES}`);
  }
  const commonCaps = options.commonCaps ?? [CAP_AUTH_SELECTION, CAP_AUTH_SPICE, CAP_MINI_HEADER];
  const channelCaps = options.channelCaps ?? [];
  const received: Buffer[] = [];
  const connections: ConnectionRecord[] = [];
  const sockets = new Set<Socket>();
  const connectionWaiters: Array<{ count: number; resolve: () => void }> = [];
  let stopping = false;

  const server = createServer((socket) => {
    sockets.add(socket);
    const index = connections.length;
    received.push(Buffer.alloc(0));
    let serverClosing = false;
    let resolveClosed: () => void = () => {};
    const record: ConnectionRecord = {
      received: received[index],
      closed: new Promise<void>((resolve) => { resolveClosed = resolve; }),
      closedByClient: false,
    };
    connections.push(record);
    for (const waiter of connectionWaiters) if (connections.length >= waiter.count) waiter.resolve();

    socket.on('error', () => { /* a reset by the client is an expected outcome here */ });
    socket.on('end', () => { if (!serverClosing && !stopping) record.closedByClient = true; });
    socket.on('close', () => {
      if (!serverClosing && !stopping) record.closedByClient = true;
      sockets.delete(socket);
      resolveClosed();
    });
    const closeSoon = (): void => {
      serverClosing = true;
      socket.end();
    };

    const handler = linkConversation(socket, scenario, options, {
      publicKeyDer, privateKey, commonCaps, channelCaps, record, closeSoon,
    });
    socket.on('data', (chunk: Buffer) => {
      if (options.recordAfterLink === false && record.link?.linkResult !== undefined) return;
      received[index] = Buffer.concat([received[index], chunk]);
      record.received = received[index];
      handler(received[index]);
    });
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });

  return {
    port,
    received,
    connections,
    publicKeyDer,
    waitForConnections(count, timeoutMs = 10_000) {
      if (connections.length >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} connection(s) on port ${port}, got ${connections.length}`)), timeoutMs);
        connectionWaiters.push({ count, resolve: () => { clearTimeout(timer); resolve(); } });
      });
    },
    stop() {
      stopping = true;
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface ConversationContext {
  publicKeyDer: Buffer;
  privateKey: KeyObject;
  commonCaps: readonly number[];
  channelCaps: readonly number[];
  record: ConnectionRecord;
  closeSoon: () => void;
}

/**
 * Returns a function that is given everything received so far on the connection after each chunk
 * and advances the scripted conversation as far as those bytes allow.
 */
function linkConversation(socket: Socket, scenario: Scenario, options: MisbehavingServerOptions, context: ConversationContext): (all: Buffer) => void {
  type Stage = 'header' | 'mechanism' | 'ticket' | 'linked' | 'done';
  let stage: Stage = 'header';
  let consumed = 0;
  let link: ClientLink | undefined;
  const { record, closeSoon } = context;
  const fail = (code: number): void => {
    socket.write(linkErrorReply(code));
    stage = 'done';
    closeSoon();
  };

  const advance = (all: Buffer): boolean => {
    switch (stage) {
      case 'header': {
        if (scenario === 'silent' || all.length < HEADER_BYTES) return false;
        if (!all.subarray(0, 4).equals(MAGIC)) { fail(ERR_INVALID_MAGIC); return false; }
        const size = all.readUInt32LE(12);
        if (size < LINK_MESS_BYTES || size > MAX_LINK_SIZE) { fail(ERR_INVALID_DATA); return false; }
        if (all.length < HEADER_BYTES + size) return false;
        consumed = HEADER_BYTES + size;
        link = parseClientLink(all.subarray(0, consumed));
        if (!link) { fail(ERR_INVALID_DATA); return false; }
        record.link = link;
        return answerLink();
      }
      case 'mechanism': {
        if (all.length < consumed + 4) return false;
        const mechanism = all.readUInt32LE(consumed);
        consumed += 4;
        if (link) link.authMechanism = mechanism;
        // A real server answers an unknown or unsupported mechanism with INVALID_DATA and closes.
        if (mechanism !== CAP_AUTH_SPICE) { fail(ERR_INVALID_DATA); return false; }
        stage = 'ticket';
        return true;
      }
      case 'ticket': {
        if (all.length < consumed + TICKET_BYTES) return false;
        const ticket = Buffer.from(all.subarray(consumed, consumed + TICKET_BYTES));
        consumed += TICKET_BYTES;
        const password = decryptTicket(ticket, context.privateKey);
        let result = ERR_OK;
        if (scenario === 'link-error') result = options.linkError ?? ERR_PERMISSION_DENIED;
        else if (options.password !== undefined && password !== options.password) result = ERR_PERMISSION_DENIED;
        if (link) {
          link.ticket = ticket;
          link.ticketPassword = password;
          link.linkResult = result;
        }
        socket.write(u32(result));
        if (result !== ERR_OK) { stage = 'done'; closeSoon(); return false; }
        stage = 'linked';
        afterLink();
        return false;
      }
      case 'linked':
      case 'done':
        return false;
    }
  };

  const answerLink = (): boolean => {
    const clientCaps = link?.commonCaps ?? [];
    switch (scenario) {
      case 'wrong-magic':
        socket.write(linkReply(context.publicKeyDer, context.commonCaps, context.channelCaps, options.wrongMagic ?? Buffer.from('QDER', 'latin1')));
        stage = 'done';
        return false;
      case 'link-error':
        if ((options.linkErrorStage ?? 'reply') === 'reply') {
          fail(options.linkError ?? ERR_PERMISSION_DENIED);
          return false;
        }
        break;
      case 'short-reply': {
        const reply = linkReply(context.publicKeyDer, context.commonCaps, context.channelCaps);
        socket.write(reply.subarray(0, Math.floor(reply.length / 2)));
        stage = 'done';
        closeSoon();
        return false;
      }
      case 'huge-size':
        socket.write(linkHeader(0xfffffff0));
        stage = 'done';
        return false;
      default: {
        const refusal = link ? options.refuseLink?.(link) : undefined;
        if (refusal !== undefined) {
          fail(refusal);
          return false;
        }
        break;
      }
    }
    socket.write(linkReply(context.publicKeyDer, context.commonCaps, (link && options.channelCapsFor?.(link)) ?? context.channelCaps));
    const bothSelect = clientCaps.includes(CAP_AUTH_SELECTION) && context.commonCaps.includes(CAP_AUTH_SELECTION);
    stage = bothSelect ? 'mechanism' : 'ticket';
    return true;
  };

  const afterLink = (): void => {
    const bothMini = (link?.commonCaps ?? []).includes(CAP_MINI_HEADER) && context.commonCaps.includes(CAP_MINI_HEADER);
    switch (scenario) {
      case 'ok-then-close':
        stage = 'done';
        closeSoon();
        break;
      case 'garbage-after-link':
        socket.write(options.garbage ?? defaultGarbage(bothMini, options.seed ?? 1));
        break;
      default:
        if (options.onLinked && link) options.onLinked(socket, link);
    }
  };

  return (all: Buffer) => {
    while (advance(all)) { /* keep going while the received bytes allow */ }
  };
}

/** RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) as the server decrypts; the text up to the NUL. */
export function decryptTicket(ticket: Buffer, privateKey: KeyObject): string | null {
  try {
    const plain = privateDecrypt({ key: privateKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, ticket);
    const nul = plain.indexOf(0);
    return plain.subarray(0, nul >= 0 ? nul : plain.length).toString('utf8');
  } catch {
    return null;
  }
}
