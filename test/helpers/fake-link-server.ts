// The server side of the SPICE link stage, in memory, for unit tests of the client's link code.
import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { WireWriter } from '../../src/protocol/wire/writer.ts';
import { MemoryTransport } from './memory-transport.ts';
import { miniMessage } from './server-messages.ts';

/** Wire numbers (docs/protocol.md): MAIN_INIT, MAIN_CHANNELS_LIST, the display channel's type. */
const MAIN_INIT = 103;
const MAIN_CHANNELS_LIST = 104;
const DISPLAY_CHANNEL = 2;

const keys = generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 65537 });
export const serverPublicKeyDer = new Uint8Array(keys.publicKey.export({ type: 'spki', format: 'der' }));

export interface FakeLinkOptions {
  replyError?: number;
  resultError?: number;
  commonCaps?: number[];
  channelCaps?: number[];
  /** Replace the reply bytes entirely (header included). */
  rawReply?: Uint8Array;
  expectPassword?: string;
}

export function linkReply(o: FakeLinkOptions): Uint8Array {
  const common = o.commonCaps ?? [0b1011]; // AUTH_SELECTION, AUTH_SPICE, MINI_HEADER
  const channel = o.channelCaps ?? [];
  const w = new WireWriter();
  const size = 178 + 4 * (common.length + channel.length);
  w.u32(0x51444552).u32(2).u32(2).u32(size);
  w.u32(o.replyError ?? 0).bytes(serverPublicKeyDer);
  w.u32(common.length).u32(channel.length).u32(178);
  for (const c of common) w.u32(c);
  for (const c of channel) w.u32(c);
  return w.finish();
}

/** A transport whose peer answers the link as a server would, and records the decrypted ticket. */
export function fakeLinkServer(o: FakeLinkOptions = {}): { transport: MemoryTransport; received: { password?: string; authMechanism?: number; linkMess?: Uint8Array } } {
  const t = new MemoryTransport();
  const received: { password?: string; authMechanism?: number; linkMess?: Uint8Array } = {};
  let stage = 0;
  t.onWrite = (data) => {
    if (stage === 0) {
      received.linkMess = data.slice();
      stage = 1;
      queueMicrotask(() => t.feed(o.rawReply ?? linkReply(o)));
    } else if (stage === 1 && data.byteLength === 4) {
      received.authMechanism = new DataView(data.buffer, data.byteOffset).getUint32(0, true);
    } else if (stage === 1 && data.byteLength === 128) {
      stage = 2;
      const plain = privateDecrypt({ key: keys.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, data);
      received.password = plain.subarray(0, plain.indexOf(0)).toString('utf8');
      const ok = o.expectPassword === undefined || o.expectPassword === received.password;
      const result = o.resultError ?? (ok ? 0 : 7);
      queueMicrotask(() => t.feed(new WireWriter().u32(result).finish()));
    }
  };
  return { transport: t, received };
}

/**
 * A main channel in memory that links, then sends MAIN_INIT and a CHANNELS_LIST of one display
 * channel (type 2, id 0) once the client's ticket (128 bytes) arrives: the server of the BridgeHost
 * tests, whose display channel each test links its own way.
 */
export function fakeMainWithDisplay(): MemoryTransport {
  const { transport } = fakeLinkServer();
  const answerLink = transport.onWrite!;
  transport.onWrite = (data) => {
    answerLink(data);
    if (data.byteLength !== 128) return;
    queueMicrotask(() => {
      transport.feed(miniMessage(MAIN_INIT, new WireWriter().u32(9).u32(1).u32(1).u32(1).u32(0).u32(10).u32(0).u32(0).finish()));
      transport.feed(miniMessage(MAIN_CHANNELS_LIST, new WireWriter().u32(1).u8(DISPLAY_CHANNEL).u8(0).finish()));
    });
  };
  return transport;
}
