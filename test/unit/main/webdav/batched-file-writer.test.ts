// A PUT's body reaches the file in 1 MiB writev calls, whatever the pieces it came in; the last
// partial batch is written at the end, the file is closed before 'finish', and an existing file is
// not overwritten through 'wx'.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { BATCH_BYTES, BatchedFileWriter } from '../../../../src/main/webdav/batched-file-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-batched-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('BatchedFileWriter', () => {
  it('writes 5.5 MiB that came in 32 KiB pieces (and a few odd ones) in 6 writev calls', async () => {
    const body = randomBytes(5.5 * 1024 * 1024 + 15);
    const pieces: Buffer[] = [];
    for (let o = 0; o < body.byteLength; o += o % 3 === 0 ? 32768 : 32761) pieces.push(body.subarray(o, Math.min(body.byteLength, o + (o % 3 === 0 ? 32768 : 32761))));
    const file = join(dir, 'a.bin');
    const w = new BatchedFileWriter(file, 'wx', 0o644);
    await pipeline(Readable.from(pieces), w);
    expect(readFileSync(file).equals(body)).toBe(true);
    expect(w.written).toBe(body.byteLength);
    expect(w.writes).toBeGreaterThanOrEqual(Math.floor(body.byteLength / BATCH_BYTES));
    expect(w.writes).toBeLessThanOrEqual(Math.ceil(body.byteLength / BATCH_BYTES));
  });

  it('an empty body makes an empty file; wx refuses an existing one', async () => {
    const file = join(dir, 'empty.bin');
    await pipeline(Readable.from([]), new BatchedFileWriter(file, 'wx', 0o644));
    expect(readFileSync(file).byteLength).toBe(0);
    writeFileSync(join(dir, 'there.bin'), 'keep');
    await expect(pipeline(Readable.from([Buffer.from('x')]), new BatchedFileWriter(join(dir, 'there.bin'), 'wx', 0o644))).rejects.toThrow(/EEXIST/);
    expect(readFileSync(join(dir, 'there.bin'), 'utf8')).toBe('keep');
  });
});
