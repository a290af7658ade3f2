// The display pipeline's charges: surfaces (re-created at a new size, destroyed, dropped when the
// pipeline closes), the GLZ window reserved once at the first compressed image, display messages
// while they wait to be drawn; and the sentence a pipeline over its budget reports.
import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../../src/protocol/channels/display/display-sink.ts';
import { DisplayMsg } from '../../../src/protocol/channels/display/display-messages.ts';
import { DisplayPipeline, GLZ_WINDOW_RESERVE_BYTES } from '../../../src/protocol/display/display-pipeline.ts';
import { localImageDecoder } from '../../../src/protocol/display/run-decode-job.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import { MemoryBudget } from '../../../src/protocol/wire/memory-budget.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { binaryImage, body, box } from '../channels/display/body-builder.ts';

const MiB = 1024 * 1024;
const QUIC = 1;
const GLZ_RGB = 102;

const surfaceCreate = (id: number, w: number, h: number) => new WireWriter().u32(id).u32(w).u32(h).u32(32).u32(id === 0 ? 1 : 0).finish();
const surfaceDestroy = (id: number) => new WireWriter().u32(id).finish();
const compressedCopy = (type: number) =>
  body((x) => {
    x.base(0, box(0, 0, 2, 4));
    x.ptr(binaryImage(type, new Uint8Array([1, 2, 3, 4])));
    x.rect(box(0, 0, 2, 4));
    x.w.u16(1 << 3).u8(1);
    x.noMask();
  });

function pipelineWith(budget: MemoryBudget) {
  const events: PipelineEvent[] = [];
  const pipeline = new DisplayPipeline({ logger: silentLogger, budget, decoder: localImageDecoder(), onEvent: (e) => events.push(e) });
  let serial = 0n;
  const submit = (type: number, b: Uint8Array) => pipeline.submit(0, type, b, ++serial);
  const errors = () => events.flatMap((e) => (e.type === 'message-error' ? [e.message] : []));
  return { pipeline, submit, errors };
}

describe('display pipeline and the memory budget', () => {
  it('charges surfaces, the difference when one is re-created, and gives everything back on close', async () => {
    const budget = new MemoryBudget(64 * MiB);
    const p = pipelineWith(budget);
    p.submit(DisplayMsg.SURFACE_CREATE, surfaceCreate(0, 1024, 768));
    p.submit(DisplayMsg.SURFACE_CREATE, surfaceCreate(1, 256, 256));
    await p.pipeline.drain(0);
    expect(budget.usedFor('surfaces')).toBe(4 * (1024 * 768 + 256 * 256));
    // A mode change re-creates surface 0 at another size: only the new size counts.
    p.submit(DisplayMsg.SURFACE_CREATE, surfaceCreate(0, 1920, 1080));
    p.submit(DisplayMsg.SURFACE_DESTROY, surfaceDestroy(1));
    await p.pipeline.drain(0);
    expect(budget.usedFor('surfaces')).toBe(4 * 1920 * 1080);
    expect(budget.usedFor('queued display messages')).toBe(0);
    p.pipeline.close();
    expect(budget.used).toBe(0);
  });

  it('reserves the GLZ window once, at the first GLZ image, and releases it on close', async () => {
    const budget = new MemoryBudget(256 * MiB);
    const p = pipelineWith(budget);
    p.submit(DisplayMsg.SURFACE_CREATE, surfaceCreate(0, 8, 4));
    await p.pipeline.drain(0);
    expect(budget.usedFor('GLZ window')).toBe(0);
    // QUIC images do not fill the GLZ window.
    p.submit(DisplayMsg.DRAW_COPY, compressedCopy(QUIC));
    await p.pipeline.drain(0);
    expect(budget.usedFor('GLZ window')).toBe(0);
    p.submit(DisplayMsg.DRAW_COPY, compressedCopy(GLZ_RGB));
    p.submit(DisplayMsg.DRAW_COPY, compressedCopy(GLZ_RGB));
    await p.pipeline.drain(0);
    expect(budget.usedFor('GLZ window')).toBe(GLZ_WINDOW_RESERVE_BYTES);
    // The image data is garbage: each draw fails on its own, not on the budget.
    expect(p.errors()).toHaveLength(3);
    expect(p.errors().join('\n')).not.toMatch(/memory limit/);
    p.pipeline.close();
    expect(budget.used).toBe(0);
  });

  it('over the budget: the draw that asked is reported with the sentence, and nothing after it is drawn', async () => {
    const budget = new MemoryBudget(100 * MiB);
    const p = pipelineWith(budget);
    p.submit(DisplayMsg.SURFACE_CREATE, surfaceCreate(0, 8, 4));
    p.submit(DisplayMsg.DRAW_COPY, compressedCopy(GLZ_RGB));
    p.submit(DisplayMsg.SURFACE_CREATE, surfaceCreate(1, 16, 16));
    await p.pipeline.drain(0);
    expect(p.errors()).toEqual([expect.stringMatching(/^the server asked for the GLZ window of 33554432 pixels at most \(128 MiB\), which would take this session to 128 MiB of its 100 MiB memory limit/)]);
    expect(budget.exceeded).not.toBeNull();
    expect(budget.usedFor('surfaces')).toBe(4 * 8 * 4); // surface 1 was never created
  });
});
