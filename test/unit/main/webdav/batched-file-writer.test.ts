// A PUT's body reaches the file in 1 MiB writev calls, whatever the pieces it came in; the last
// partial batch is written at the end and the file closed; an existing file is not overwritten
// through 'wx'; the request is paused while a full batch waits for the write before it; a body cut
// short or a failed write rejects.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { BATCH_BYTES, BatchedFileWriter, receiveBody } from '../../../../src/main/webdav/batched-file-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-batched-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A request body as IncomingMessage shows it: a readable stream whose `complete` is set at its end. */
function fakeRequest(): PassThrough & { complete: boolean } {
  const req = Object.assign(new PassThrough(), { complete: false });
  req.on('end', () => {
    req.complete = true;
  });
  return req;
}

function asRequest(req: PassThrough): IncomingMessage {
  return req as unknown as IncomingMessage;
}

function cutInPieces(body: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  for (let o = 0; o < body.byteLength; o += o % 3 === 0 ? 32768 : 32761) pieces.push(body.subarray(o, Math.min(body.byteLength, o + (o % 3 === 0 ? 32768 : 32761))));
  return pieces;
}

describe('BatchedFileWriter', () => {
  it('writes 5.5 MiB that came in 32 KiB pieces (and a few odd ones) in 6 writev calls', async () => {
    const body = randomBytes(5.5 * 1024 * 1024 + 15);
    const file = join(dir, 'a.bin');
    const w = await BatchedFileWriter.open(file, 'wx', 0o644);
    const req = fakeRequest();
    const received = receiveBody(asRequest(req), w);
    let paused = 0;
    req.on('pause', () => paused++);
    for (const p of cutInPieces(body)) req.write(p);
    req.end();
    await received;
    expect(readFileSync(file).equals(body)).toBe(true);
    expect(w.written).toBe(body.byteLength);
    expect(w.writes).toBeGreaterThanOrEqual(Math.floor(body.byteLength / BATCH_BYTES));
    expect(w.writes).toBeLessThanOrEqual(Math.ceil(body.byteLength / BATCH_BYTES));
    // All pieces were there at once: each full batch after the first waited for the one before.
    expect(paused).toBeGreaterThan(0);
  });

  it('an empty body makes an empty file; wx refuses an existing one', async () => {
    const file = join(dir, 'empty.bin');
    const req = fakeRequest();
    const received = receiveBody(asRequest(req), await BatchedFileWriter.open(file, 'wx', 0o644));
    req.end();
    await received;
    expect(readFileSync(file).byteLength).toBe(0);
    writeFileSync(join(dir, 'there.bin'), 'keep');
    await expect(BatchedFileWriter.open(join(dir, 'there.bin'), 'wx', 0o644)).rejects.toThrow(/EEXIST/);
    expect(readFileSync(join(dir, 'there.bin'), 'utf8')).toBe('keep');
  });

  it('a body whose connection closes before its end rejects, and abandon closes the file', async () => {
    const w = await BatchedFileWriter.open(join(dir, 'cut.bin'), 'wx', 0o644);
    const req = fakeRequest();
    const received = receiveBody(asRequest(req), w);
    req.write(randomBytes(3 * BATCH_BYTES));
    req.destroy();
    await expect(received).rejects.toThrow(/closed before the request body was complete/);
    await w.abandon();
    await expect(w.finish()).resolves.toBeUndefined(); // nothing left open or to write
  });

  it('a request already cut when its body is wanted rejects at once (its close event has passed)', async () => {
    const w = await BatchedFileWriter.open(join(dir, 'gone.bin'), 'wx', 0o644);
    const req = fakeRequest();
    req.write(Buffer.from('half a fi'));
    req.destroy();
    await new Promise((r) => setImmediate(r));
    await expect(receiveBody(asRequest(req), w)).rejects.toThrow(/closed before the request body was complete/);
    await w.abandon();
  });

  it('a write that fails rejects the body (the file was closed under the writer)', async () => {
    const w = await BatchedFileWriter.open(join(dir, 'fails.bin'), 'wx', 0o644);
    await w.abandon(); // closes the descriptor: the first batch cannot be written
    const req = fakeRequest();
    const received = receiveBody(asRequest(req), w);
    for (let i = 0; i < 4; i++) req.write(randomBytes(BATCH_BYTES));
    req.end();
    await expect(received).rejects.toThrow(/closed before its last write/);
  });
});
