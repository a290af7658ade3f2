// The image decoders on their own, much faster than through the display channel: the input is
// u8 codec, u16 width, u16 height, then the image data (as a display message carries it). Seeds
// are the recorded images of test/fixtures/images. The same data also goes through the
// WebAssembly QUIC and LZ decoders (the page's), which must refuse it as the TypeScript ones do.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GlzWindow } from '../../../src/protocol/codecs/glz-window.ts';
import { loadWasmDecoders } from '../../../src/protocol/codecs/wasm/wasm-decoders.ts';
import type { DecodeJob } from '../../../src/protocol/display/image-decode-job.ts';
import { runDecodeJob } from '../../../src/protocol/display/run-decode-job.ts';
import { nodeInflater } from '../../../src/main/node/inflater.ts';
import { nodeJpegDecoder } from '../../../src/main/node/jpeg-node.ts';
import { readRecordedImage } from '../../fixtures/images/recorded-image.ts';
import type { FuzzTarget } from '../harness/fuzz-target.ts';
import { imagesDir } from '../harness/paths.ts';

const kinds = ['quic', 'lz-rgb', 'lz4', 'glz-rgb', 'zlib-glz-rgb', 'jpeg-alpha', 'lz-plt'] as const;

/** Images small enough to decode thousands of times: the fuzzer's time goes into variety. */
const MAX_SEED_PIXELS = 200 * 150;

function codecSeeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const name of readdirSync(imagesDir).filter((n) => n.endsWith('.bin')).sort()) {
    const { header, data } = readRecordedImage(join(imagesDir, name));
    const kind = kinds.indexOf(header.body.kind as (typeof kinds)[number]);
    const { width, height } = header.descriptor;
    if (kind < 0 || width * height > MAX_SEED_PIXELS) continue;
    // ZLIB_GLZ and JPEG_ALPHA carry one more number: the GLZ size, or the JPEG part's size.
    const extra = header.body.glzDataSize ?? header.body.jpegSize ?? 0;
    const head = new Uint8Array(9);
    const view = new DataView(head.buffer);
    view.setUint8(0, kind);
    view.setUint16(1, width, true);
    view.setUint16(3, height, true);
    view.setUint32(5, extra, true);
    out.push(new Uint8Array([...head, ...data]));
  }
  return out;
}

function jobOf(input: Uint8Array): DecodeJob | null {
  if (input.byteLength < 9) return null;
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const kind = kinds[view.getUint8(0) % kinds.length];
  // Sides up to 1023 keep a case quick; the size checks against the limits are the parsers' own tests.
  const width = view.getUint16(1, true) & 0x3ff;
  const height = view.getUint16(3, true) & 0x3ff;
  const extra = view.getUint32(5, true);
  const data = input.subarray(9);
  switch (kind) {
    case 'zlib-glz-rgb':
      return { kind, width, height, data, glzDataSize: extra };
    case 'jpeg-alpha':
      return { kind, width, height, data, flags: extra >>> 24, jpegSize: extra & 0xffffff };
    case 'lz-plt':
      return { kind, width, height, data, palette: { unique: 1n, entries: Uint32Array.from({ length: 16 }, (_, i) => i * 0x111111) } };
    default:
      return { kind, width, height, data };
  }
}

const codecTarget = (name: string, wasm: boolean): FuzzTarget => ({
  name,
  what: `the image decoders${wasm ? ' in WebAssembly where there is one (QUIC, LZ)' : ' (QUIC, LZ, LZ4, GLZ, ZLIB_GLZ, JPEG_ALPHA)'} on recorded images`,
  shape: 'bytes',
  seeds: codecSeeds,
  quickCases: 1000,
  async run(input) {
    const job = jobOf(input);
    if (!job) return;
    const glzWindow = new GlzWindow({ waitTimeoutMs: 50 });
    try {
      await runDecodeJob(job, { glzWindow, inflater: nodeInflater, jpeg: nodeJpegDecoder, wasm: wasm ? loadWasmDecoders() : null });
    } finally {
      glzWindow.close();
    }
  },
});

export const codecTargets: FuzzTarget[] = [codecTarget('codecs', false), codecTarget('codecs-wasm', true)];
