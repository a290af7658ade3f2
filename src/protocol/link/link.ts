// The link stage every channel runs on its own connection: SpiceLinkMess out, SpiceLinkReply in,
// auth mechanism selection, the RSA-OAEP encrypted ticket, and the final link result.
import { ByteQueue } from '../wire/byte-queue.ts';
import { ProtocolError, SpiceError } from '../wire/errors.ts';
import { WireReader } from '../wire/reader.ts';
import type { Transport } from '../wire/transport.ts';
import { WireWriter } from '../wire/writer.ts';
import { CapSet } from './caps.ts';
import {
  channelTypeName,
  CommonCap,
  ENCRYPTED_TICKET_BYTES,
  LINK_HEADER_SIZE,
  LINK_MAGIC,
  LINK_MESS_SIZE,
  LINK_REPLY_SIZE,
  LinkErr,
  MAX_LINK_REPLY_SIZE,
  MAX_PASSWORD_LENGTH,
  PROTOCOL_MAJOR,
  PROTOCOL_MINOR,
  TICKET_PUBKEY_BYTES,
} from './constants.ts';

/** RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) with a DER SubjectPublicKeyInfo key; injected by the host. */
export interface TicketCrypto {
  encryptTicket(spkiDer: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
}

export interface LinkParams {
  connectionId: number;
  channelType: number;
  channelId: number;
  channelCaps: CapSet;
  password: string;
  crypto: TicketCrypto;
  /** For messages: "127.0.0.1:5900". */
  where: string;
  /**
   * Called with what was negotiated right after the ticket is sent, before the server's verdict:
   * a channel's first messages can go out now. spice-server's display worker looks for the
   * client's DISPLAY_INIT once, as soon as the link succeeds, and if it has not arrived sleeps
   * 10 ms before looking again; sent behind the ticket, it is always there. Discarded by the
   * server when the ticket is refused.
   */
  afterTicket?: (link: LinkResult) => void;
}

export interface LinkResult {
  serverCommonCaps: CapSet;
  serverChannelCaps: CapSet;
  miniHeader: boolean;
}

export const clientCommonCaps = (): CapSet =>
  CapSet.of(CommonCap.PROTOCOL_AUTH_SELECTION, CommonCap.AUTH_SPICE, CommonCap.MINI_HEADER);

export function buildLinkMess(p: { connectionId: number; channelType: number; channelId: number; common: CapSet; channel: CapSet }): Uint8Array {
  const capsBytes = 4 * (p.common.words.length + p.channel.words.length);
  const w = new WireWriter(LINK_HEADER_SIZE + LINK_MESS_SIZE + capsBytes);
  w.u32(LINK_MAGIC).u32(PROTOCOL_MAJOR).u32(PROTOCOL_MINOR).u32(LINK_MESS_SIZE + capsBytes);
  w.u32(p.connectionId).u8(p.channelType).u8(p.channelId);
  w.u32(p.common.words.length).u32(p.channel.words.length).u32(LINK_MESS_SIZE);
  for (const word of p.common.words) w.u32(word);
  for (const word of p.channel.words) w.u32(word);
  return w.finish();
}

/** A link refused by the server; `linkErrorCode` says which SPICE_LINK_ERR it sent. */
export class LinkRefusedError extends SpiceError {
  constructor(
    kind: SpiceError['kind'],
    message: string,
    readonly linkErrorCode: number,
  ) {
    super(kind, message);
  }
}

/** A person-readable meaning for each link error code, with the error kind it maps to. */
export function linkError(code: number, channel: string, where: string): SpiceError {
  const refused = describeLinkError(code, channel, where);
  return new LinkRefusedError(refused.kind, refused.message, code);
}

function describeLinkError(code: number, channel: string, where: string): SpiceError {
  switch (code) {
    case LinkErr.PERMISSION_DENIED:
      return new SpiceError('auth', `the server at ${where} refused the password (wrong or expired ticket)`);
    case LinkErr.NEED_SECURED:
      return new SpiceError('tls', `the server at ${where} requires TLS for the ${channel} channel; connect with a tls-port`);
    case LinkErr.NEED_UNSECURED:
      return new SpiceError('tls', `the server at ${where} refuses TLS for the ${channel} channel; connect with the plain port`);
    case LinkErr.VERSION_MISMATCH:
      return new SpiceError('protocol', `the server at ${where} does not speak a protocol version this client supports (${channel} channel)`);
    case LinkErr.INVALID_MAGIC:
      return new SpiceError('protocol', `the server at ${where} rejected the link message as not SPICE (${channel} channel)`);
    case LinkErr.INVALID_DATA:
      return new SpiceError('protocol', `the server at ${where} rejected the link message as invalid (${channel} channel)`);
    case LinkErr.BAD_CONNECTION_ID:
      return new SpiceError('protocol', `the server at ${where} does not know this session any more (${channel} channel: bad connection id)`);
    case LinkErr.CHANNEL_NOT_AVAILABLE:
      return new SpiceError('protocol', `the server at ${where} has no ${channel} channel to link`);
    case LinkErr.ERROR:
      return new SpiceError('protocol', `the server at ${where} refused the ${channel} channel (generic link error)`);
    default:
      return new SpiceError('protocol', `the server at ${where} refused the ${channel} channel with unknown link error ${code}`);
  }
}

/** Runs the whole link stage; resolves once the server has accepted the channel. */
export async function performLink(queue: ByteQueue, transport: Transport, p: LinkParams): Promise<LinkResult> {
  const channel = channelTypeName(p.channelType);
  const ctx = { channel, messageName: 'link reply' };
  if (new TextEncoder().encode(p.password).byteLength > MAX_PASSWORD_LENGTH) {
    throw new SpiceError('usage', `the password is longer than SPICE allows (${MAX_PASSWORD_LENGTH} bytes)`);
  }
  const common = clientCommonCaps();
  transport.write(buildLinkMess({ connectionId: p.connectionId, channelType: p.channelType, channelId: p.channelId, common, channel: p.channelCaps }));

  const header = new WireReader(await queue.read(LINK_HEADER_SIZE), 0, ctx);
  const magic = header.u32();
  if (magic !== LINK_MAGIC) {
    throw new SpiceError('protocol', `${p.where} is not a SPICE server: its reply starts with 0x${magic.toString(16).padStart(8, '0')} instead of "REDQ"`);
  }
  const major = header.u32();
  const minor = header.u32();
  const size = header.u32();
  if (major !== PROTOCOL_MAJOR) {
    throw new SpiceError('protocol', `the server at ${p.where} speaks SPICE ${major}.${minor}; this client speaks ${PROTOCOL_MAJOR}.${PROTOCOL_MINOR}`);
  }
  if (size > MAX_LINK_REPLY_SIZE) {
    throw new ProtocolError(`link reply declares ${size} bytes, more than the ${MAX_LINK_REPLY_SIZE} a server may send`, 12, ctx);
  }
  // An error reply may be shorter than a full reply: it carries only the error code.
  if (size < 4) throw new ProtocolError(`link reply of ${size} bytes is too short`, 12, ctx);
  const reply = new WireReader(await queue.read(size), 0, ctx);
  const error = reply.u32();
  if (error !== LinkErr.OK) throw linkError(error, channel, p.where);
  if (size < LINK_REPLY_SIZE) throw new ProtocolError(`link reply of ${size} bytes is shorter than the ${LINK_REPLY_SIZE} required`, 0, ctx);
  const pubKey = reply.take(TICKET_PUBKEY_BYTES, 'public key');
  const numCommon = reply.u32();
  const numChannel = reply.u32();
  const capsOffset = reply.u32();
  const caps = reply.at(capsOffset, 'caps offset');
  caps.count(numCommon + numChannel, 4, 'capability list');
  const serverCommon = new CapSet(Array.from({ length: numCommon }, () => caps.u32()));
  const serverChannel = new CapSet(Array.from({ length: numChannel }, () => caps.u32()));

  if (serverCommon.has(CommonCap.PROTOCOL_AUTH_SELECTION)) {
    if (!serverCommon.has(CommonCap.AUTH_SPICE)) {
      throw new SpiceError('auth', `the server at ${p.where} only offers SASL authentication, which spicedesk does not support yet`);
    }
    transport.write(new WireWriter(4).u32(CommonCap.AUTH_SPICE).finish());
  }

  const plain = new Uint8Array(new TextEncoder().encode(p.password + '\0'));
  let ticket: Uint8Array;
  try {
    ticket = await p.crypto.encryptTicket(pubKey, plain);
  } catch (cause) {
    throw new SpiceError('protocol', `the server at ${p.where} sent a public key that cannot be used (${(cause as Error).message})`, { cause });
  }
  if (ticket.byteLength !== ENCRYPTED_TICKET_BYTES) {
    throw new SpiceError('protocol', `the server at ${p.where} sent a ${ticket.byteLength * 8}-bit key; SPICE tickets need RSA-1024`);
  }
  transport.write(ticket);
  const link: LinkResult = {
    serverCommonCaps: serverCommon,
    serverChannelCaps: serverChannel,
    miniHeader: serverCommon.has(CommonCap.MINI_HEADER),
  };
  p.afterTicket?.(link);

  const result = new WireReader(await queue.read(4), 0, { channel, messageName: 'link result' }).u32();
  if (result !== LinkErr.OK) throw linkError(result, channel, p.where);
  return link;
}
