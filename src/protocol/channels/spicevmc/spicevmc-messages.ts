// The spicevmc message set shared by the usbredir (9), port (10) and webdav (11) channels, one
// module below all three so that each decodes and builds them the same way
// (spice-common spice.proto `channel SpicevmcChannel`; spice-gtk channel-usbredir.c; spice-server
// spicevmc.cpp). DATA carries a piece of a byte stream (message boundaries mean nothing);
// COMPRESSED_DATA carries u8 type (NONE 0, LZ4 1), then for LZ4 a u32 uncompressed size and one
// raw LZ4 block to the end of the message. The server compresses what it reads from the chardev
// (at most 64 KiB + 32 a read) when the client has the LZ4 cap; spice-gtk compresses writes over
// 1000 bytes when the server has it, and sends them plain when LZ4 does not make them smaller.
import { decodeLz4Block } from '../../codecs/lz4.ts';
import { encodeLz4BlockBelow } from '../../codecs/lz4-encode.ts';
import { ProtocolError, type WireContext } from '../../wire/errors.ts';

export const SpicevmcMsg = { DATA: 101, COMPRESSED_DATA: 102 } as const;
export const SpicevmcMsgc = { DATA: 101, COMPRESSED_DATA: 102 } as const;
/** Spicevmc channel caps (SPICE_SPICEVMC_CAP_*): the peer takes COMPRESSED_DATA with LZ4. */
export const SpicevmcCap = { DATA_COMPRESS_LZ4: 0 } as const;
export const DataCompression = { NONE: 0, LZ4: 1 } as const;
/** spice-gtk and spice-server compress payloads over this many bytes (COMPRESS_THRESHOLD). */
export const COMPRESS_THRESHOLD = 1000;
/**
 * The largest decompressed payload accepted. spice-server compresses one chardev read (64 KiB +
 * 32); a larger claim is refused before anything is allocated for it.
 */
export const MAX_UNCOMPRESSED = 1024 * 1024;
/** LZ4 expands at most 255-fold (a run of one literal extended by 255s). */
const LZ4_MAX_RATIO = 255;

/** The stream bytes of a COMPRESSED_DATA body. */
export function decodeCompressedData(body: Uint8Array, context: WireContext): Uint8Array {
  if (body.byteLength < 1) throw new ProtocolError('COMPRESSED_DATA without its compression type', 0, context);
  const type = body[0];
  if (type === DataCompression.NONE) return body.subarray(1);
  if (type !== DataCompression.LZ4) throw new ProtocolError(`COMPRESSED_DATA of unknown compression type ${type}`, 0, context);
  if (body.byteLength < 5) throw new ProtocolError('COMPRESSED_DATA ends inside its uncompressed size', 1, context);
  const size = new DataView(body.buffer, body.byteOffset + 1, 4).getUint32(0, true);
  const compressed = body.byteLength - 5;
  if (size === 0) throw new ProtocolError('COMPRESSED_DATA declares 0 uncompressed bytes', 1, context);
  if (size > MAX_UNCOMPRESSED) throw new ProtocolError(`COMPRESSED_DATA declares ${size} uncompressed bytes, more than the ${MAX_UNCOMPRESSED} accepted`, 1, context);
  if (size > compressed * LZ4_MAX_RATIO) throw new ProtocolError(`COMPRESSED_DATA declares ${size} uncompressed bytes from ${compressed} LZ4 bytes, more than LZ4 can expand to`, 1, context);
  const out = new Uint8Array(size);
  let produced: number;
  try {
    produced = decodeLz4Block(body, 5, body.byteLength, out, 0, size);
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^malformed data from the server: (LZ4 image: )?/, '').replace(/ \[offset \d+\]$/, '') : String(e);
    throw new ProtocolError(`COMPRESSED_DATA's LZ4 block is corrupt: ${why.replace(/the image/g, 'the declared size')}`, e instanceof ProtocolError ? e.offset : 5, context);
  }
  if (produced !== size) throw new ProtocolError(`COMPRESSED_DATA decodes to ${produced} bytes but declares ${size}`, 1, context);
  return out;
}

/** The message to send for `data`: LZ4 COMPRESSED_DATA when allowed, over the threshold and smaller; else DATA. */
export function buildSpicevmcWrite(data: Uint8Array, lz4Allowed: boolean): { type: number; body: Uint8Array } {
  const compressed = lz4Allowed ? compressSpicevmcWrite(data) : null;
  return compressed ? { type: SpicevmcMsgc.COMPRESSED_DATA, body: compressed } : { type: SpicevmcMsgc.DATA, body: data };
}

/**
 * The COMPRESSED_DATA body (LZ4) for `data` when it is over the threshold and the block saves
 * space; else null (send `data` as DATA). The encoder gives up early on data that does not shrink
 * (a CD's or disk's sectors are often already compressed), so trying costs little.
 */
export function compressSpicevmcWrite(data: Uint8Array): Uint8Array | null {
  if (data.byteLength <= COMPRESS_THRESHOLD) return null;
  const block = encodeLz4BlockBelow(data, data.byteLength - 5);
  if (!block) return null;
  const body = new Uint8Array(5 + block.byteLength);
  body[0] = DataCompression.LZ4;
  new DataView(body.buffer).setUint32(1, data.byteLength, true);
  body.set(block, 5);
  return body;
}
