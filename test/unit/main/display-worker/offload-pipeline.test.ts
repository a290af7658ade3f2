// The display pipeline with its compressed images decoded by the decode pool (how the CLI runs it)
// draws exactly what it draws decoding in-line, caches included; a bad image spoils only its draw.
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DisplayMsg } from '../../../../src/protocol/channels/display/display-messages.ts';
import { LocalDisplaySink } from '../../../../src/protocol/display/local-display-sink.ts';
import { localImageDecoder } from '../../../../src/protocol/display/run-decode-job.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';
import { DecodePool } from '../../../../src/main/display-worker/decode-pool.ts';
import { readRecordedImage } from '../../../fixtures/images/recorded-image.ts';
import { body, box, type Block } from '../../channels/display/body-builder.ts';

const workerFile = resolve('dist/decode-worker.cjs'); // built by test/global-setup.ts
const fixture = (name: string) => readRecordedImage(join(resolve('test/fixtures/images'), name));

const CACHE_ME = 1;
const FROM_CACHE = 103;

function image(type: number, id: bigint, flags: number, width: number, height: number, data: Uint8Array | null): Block {
  return (b) => {
    b.descriptor(id, type, flags, width, height);
    if (data) b.w.u32(data.byteLength).bytes(data);
  };
}

/** DRAW_COPY of a whole image to (x, y), OP_PUT. */
function copy(x: number, y: number, width: number, height: number, src: Block): Uint8Array {
  return body((b) => {
    b.base(0, box(y, x, y + height, x + width));
    b.ptr(src);
    b.rect(box(0, 0, height, width));
    b.w.u16(1 << 3).u8(0);
    b.noMask();
  });
}

async function draw(sink: LocalDisplaySink, messages: [number, Uint8Array][]): Promise<Uint32Array> {
  sink.submit(0, DisplayMsg.SURFACE_CREATE, new WireWriter().u32(0).u32(640).u32(400).u32(32).u32(1).finish(), 1n);
  messages.forEach(([type, b], i) => sink.submit(0, type, b, BigInt(2 + i)));
  const snap = await sink.snapshot(0);
  sink.close();
  return snap!.data;
}

describe('the display pipeline with the decode pool', () => {
  it('draws QUIC and LZ images, and their cache hits, like in-line decoding', async () => {
    const quic = fixture('quic-photo-2.bin');
    const lz = fixture('lz-rgb-photo-2.bin');
    const q = quic.header.descriptor;
    const l = lz.header.descriptor;
    const messages = (): [number, Uint8Array][] => [
      [DisplayMsg.DRAW_COPY, copy(0, 0, q.width, q.height, image(q.type, 500n, CACHE_ME, q.width, q.height, quic.data.slice()))],
      [DisplayMsg.DRAW_COPY, copy(220, 10, l.width, l.height, image(l.type, 501n, 0, l.width, l.height, lz.data.slice()))],
      [DisplayMsg.DRAW_COPY, copy(420, 200, q.width, q.height, image(FROM_CACHE, 500n, 0, q.width, q.height, null))],
    ];
    const inline = await draw(new LocalDisplaySink({ logger: silentLogger, decoder: localImageDecoder() }), messages());
    const pool = new DecodePool({ logger: silentLogger, workerFile, size: 2 });
    const pooled = await draw(new LocalDisplaySink({ logger: silentLogger, decoder: pool }), messages());
    expect(pool.started).toBeGreaterThan(0);
    expect(Buffer.from(pooled.buffer).equals(Buffer.from(inline.buffer))).toBe(true);
    // The photo really is there, twice (a blank surface would also be "equal").
    expect(new Set(pooled.subarray(0, 200)).size).toBeGreaterThan(20);
    expect(pooled[200 * 640 + 420]).toBe(pooled[0]);
  });

  it('a corrupt image is an error for its draw only; the next draw is made', async () => {
    const quic = fixture('quic-photo-2.bin');
    const q = quic.header.descriptor;
    const errors: string[] = [];
    const pool = new DecodePool({ logger: silentLogger, workerFile, size: 1 });
    const sink = new LocalDisplaySink({ logger: silentLogger, decoder: pool });
    sink.listen(0, (e) => {
      if (e.type === 'message-error') errors.push(e.message);
    });
    const surface = await draw(sink, [
      [DisplayMsg.DRAW_COPY, copy(0, 0, q.width, q.height, image(q.type, 1n, 0, q.width, q.height, quic.data.slice(0, 60)))],
      [DisplayMsg.DRAW_COPY, copy(300, 0, q.width, q.height, image(q.type, 2n, 0, q.width, q.height, quic.data.slice()))],
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/QUIC|quic/);
    expect(surface[0]).toBe(0);
    expect(new Set(surface.subarray(300, 500)).size).toBeGreaterThan(20);
  });
});
