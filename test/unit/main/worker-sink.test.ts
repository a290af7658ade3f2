// The CLI's display worker: messages decoded and drawn off-thread, in order, with events back.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DisplayMsg } from '../../../src/protocol/channels/display/display-messages.ts';
import type { PipelineEvent } from '../../../src/protocol/channels/display/display-pipeline.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { WorkerDisplaySink } from '../../../src/main/display-worker/worker-sink.ts';
import { body, box } from '../channels/display/body-builder.ts';

const workerFile = resolve('dist/display-worker.cjs'); // built by test/global-setup.ts

const surfaceCreate = (w: number, h: number) => new WireWriter().u32(0).u32(w).u32(h).u32(32).u32(1).finish();
const fill = (color: number, b = box(0, 0, 2, 2)) =>
  body((x) => {
    x.base(0, b);
    x.w.u8(1).u32(color);
    x.w.u16(1 << 3);
    x.noMask();
  });

describe('WorkerDisplaySink', () => {
  it('applies messages in order in the worker and reports events and a snapshot', async () => {
    const sink = new WorkerDisplaySink(workerFile, silentLogger);
    const events: PipelineEvent['type'][] = [];
    const marked = new Promise<void>((done) =>
      sink.listen(0, (e) => {
        events.push(e.type);
        if (e.type === 'mark') done();
      }),
    );
    sink.submit(0, DisplayMsg.SURFACE_CREATE, surfaceCreate(4, 2), 1n);
    for (let i = 0; i < 50; i++) sink.submit(0, DisplayMsg.DRAW_FILL, fill(0x00010000 * i), BigInt(2 + i));
    sink.submit(0, DisplayMsg.DRAW_FILL, fill(0x00abcdef, box(0, 2, 2, 4)), 60n);
    sink.submit(0, DisplayMsg.MARK, new Uint8Array(0), 61n);
    await marked;
    const snap = await sink.snapshot(0);
    expect(snap?.width).toBe(4);
    expect(snap!.data[0] & 0xffffff).toBe(0x00010000 * 49);
    expect(snap!.data[3] & 0xffffff).toBe(0xabcdef);
    expect(events[0]).toBe('surface-create');
    expect(events.filter((e) => e === 'invalidate')).toHaveLength(51);
    expect((await sink.stats(0)).ops).toEqual({ fill: 51 });
    sink.close();
  });

  it('copies a body that is a view into a larger buffer, and hands over one that owns its buffer', async () => {
    const sink = new WorkerDisplaySink(workerFile, silentLogger);
    sink.submit(0, DisplayMsg.SURFACE_CREATE, surfaceCreate(2, 2), 1n);
    // Like a message inside a socket chunk: the chunk is reused by the caller afterwards.
    const b = fill(0x00112233);
    const chunk = new Uint8Array(b.byteLength + 16);
    chunk.set(b, 8);
    const view = chunk.subarray(8, 8 + b.byteLength);
    sink.submit(0, DisplayMsg.DRAW_FILL, view, 2n);
    chunk.fill(0);
    expect((await sink.snapshot(0))!.data[0] & 0xffffff).toBe(0x112233);
    // A body that owns its buffer (a large message assembled by the byte queue) is transferred.
    const owned = fill(0x00445566);
    sink.submit(0, DisplayMsg.DRAW_FILL, owned, 3n);
    expect(owned.byteLength).toBe(0);
    expect((await sink.snapshot(0))!.data[0] & 0xffffff).toBe(0x445566);
    sink.close();
  });

  it('a worker that dies fails pending requests and reports an error to each channel', async () => {
    const sink = new WorkerDisplaySink(resolve('test/unit/main/no-such-worker.cjs'), silentLogger);
    const errors: string[] = [];
    sink.listen(0, (e) => {
      if (e.type === 'message-error') errors.push(e.message);
    });
    await expect(sink.snapshot(0)).rejects.toThrow(/display worker/);
    expect(errors[0]).toMatch(/display worker/);
    sink.close();
  });
});
