// A bare SPICE client for tests: links a main channel, then any channel of that session, and hands
// over each channel's messages as they come, answering nothing. For watching what a real server
// sends on a channel spicedesk does not handle yet (the guest's PLAYBACK_START), independently of
// spicedesk's own client code. Written from docs/protocol.md ("Link and ticket", "Headers"), no
// shared code with src/protocol, plain TCP, no password (the server's disable-ticketing=on).
import { constants as cryptoConstants, createPublicKey, publicEncrypt } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const LINK_MAGIC = 0x51444552; // "REDQ"
const LINK_HEADER_BYTES = 16;
const PUBLIC_KEY_BYTES = 162;
const AUTH_SPICE = 1;
/** PROTOCOL_AUTH_SELECTION, AUTH_SPICE, MINI_HEADER. */
const COMMON_CAPS = 0b1011;
const MAIN = 1;
const MSG_MAIN_INIT = 103;

export interface RawMessage {
  type: number;
  body: Buffer;
}

export interface RawChannel {
  readonly messages: readonly RawMessage[];
  close(): void;
}

/** Reads exactly n bytes (or fails when the connection ends first). */
function reader(socket: Socket, what: string): (n: number) => Promise<Buffer> {
  let buffered = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  let ended: Error | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    wake?.();
  });
  socket.on('close', () => {
    ended ??= new Error(`${what}: the server closed the connection`);
    wake?.();
  });
  socket.on('error', (error) => {
    ended = new Error(`${what}: ${error.message}`);
  });
  return async (n) => {
    while (buffered.length < n) {
      if (ended) throw ended;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    const taken = buffered.subarray(0, n);
    buffered = buffered.subarray(n);
    return taken;
  };
}

/**
 * Links one channel (connectionId 0 for main, then the session id from MAIN_INIT) with these
 * channel caps, and collects its messages; onMessage sees each as it comes.
 */
export async function linkRawChannel(
  port: number,
  link: { connectionId: number; type: number; id: number; channelCaps?: number },
  onMessage?: (message: RawMessage) => void,
): Promise<RawChannel> {
  const what = `raw SPICE channel ${link.type}:${link.id} on port ${port}`;
  const socket = connect(port, '127.0.0.1');
  const read = reader(socket, what);
  const mess = Buffer.alloc(18 + 8);
  mess.writeUInt32LE(link.connectionId, 0);
  mess.writeUInt8(link.type, 4);
  mess.writeUInt8(link.id, 5);
  mess.writeUInt32LE(1, 6); // common caps words
  mess.writeUInt32LE(1, 10); // channel caps words
  mess.writeUInt32LE(18, 14); // caps offset
  mess.writeUInt32LE(COMMON_CAPS, 18);
  mess.writeUInt32LE(link.channelCaps ?? 0, 22);
  const header = Buffer.alloc(LINK_HEADER_BYTES);
  header.writeUInt32LE(LINK_MAGIC, 0);
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(mess.length, 12);
  socket.write(Buffer.concat([header, mess]));
  const replyHeader = await read(LINK_HEADER_BYTES);
  if (replyHeader.readUInt32LE(0) !== LINK_MAGIC) throw new Error(`${what}: not a SPICE server`);
  const reply = await read(replyHeader.readUInt32LE(12));
  if (reply.readUInt32LE(0) !== 0) throw new Error(`${what}: link error ${reply.readUInt32LE(0)}`);
  const key = createPublicKey({ key: reply.subarray(4, 4 + PUBLIC_KEY_BYTES), format: 'der', type: 'spki' });
  const ticket = publicEncrypt({ key, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from('\0'));
  const mechanism = Buffer.alloc(4);
  mechanism.writeUInt32LE(AUTH_SPICE, 0);
  socket.write(Buffer.concat([mechanism, ticket]));
  const result = (await read(4)).readUInt32LE(0);
  if (result !== 0) throw new Error(`${what}: link result ${result}`);
  const messages: RawMessage[] = [];
  void (async () => {
    for (;;) {
      const mini = await read(6);
      const message = { type: mini.readUInt16LE(0), body: Buffer.from(await read(mini.readUInt32LE(2))) };
      messages.push(message);
      onMessage?.(message);
    }
  })().catch(() => { /* the connection ended */ });
  return { messages, close: () => socket.destroy() };
}

/** A main channel and its session id: link more channels of the session with linkRawChannel. */
export async function linkRawSession(port: number): Promise<{ main: RawChannel; sessionId: number }> {
  let resolveInit: (body: Buffer) => void = () => {};
  const init = new Promise<Buffer>((resolve) => (resolveInit = resolve));
  const main = await linkRawChannel(port, { connectionId: 0, type: MAIN, id: 0 }, (message) => {
    if (message.type === MSG_MAIN_INIT) resolveInit(message.body);
  });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no MAIN_INIT from port ${port} in 15 s`)), 15_000).unref());
  const body = await Promise.race([init, timeout]);
  return { main, sessionId: body.readUInt32LE(0) };
}
