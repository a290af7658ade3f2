// The CLI's decode pool: recorded Xspice images decoded in worker threads equal the same decoders
// run here; GLZ images share one window across the pool; workers start only when needed; bad
// images and dead workers end in errors, not hangs.
import { resolve } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Pixels } from '../../../../src/protocol/pixels/pixels.ts';
import type { DecodeJob } from '../../../../src/protocol/display/image-decode-job.ts';
import { runDecodeJob } from '../../../../src/protocol/display/run-decode-job.ts';
import { GlzWindow } from '../../../../src/protocol/codecs/glz-window.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { DecodePool } from '../../../../src/main/display-worker/decode-pool.ts';
import { recordedDecodeJobs } from '../../../fixtures/images/recorded-image.ts';

const workerFile = resolve('dist/decode-worker.cjs'); // built by test/global-setup.ts

const jobsOf = (prefix: string): DecodeJob[] => recordedDecodeJobs(prefix);

/** The same job decoded in this thread, for comparison (the pool transfers the job's buffer away). */
async function here(job: DecodeJob, window = new GlzWindow()): Promise<Pixels> {
  const inflater = { inflate: (d: Uint8Array, n: number) => new Uint8Array(inflateSync(d, { maxOutputLength: n })) };
  return runDecodeJob({ ...job, data: job.data.slice() }, { glzWindow: window, inflater });
}

const copyOf = (job: DecodeJob): DecodeJob => ({ ...job, data: job.data.slice() });

describe('DecodePool', () => {
  it('starts no worker until an image needs one, then decodes QUIC, LZ and LZ4 like this thread', async () => {
    const pool = new DecodePool({ logger: silentLogger, workerFile, size: 2 });
    expect(pool.started).toBe(0);
    const jobs = [...jobsOf('quic-photo-'), ...jobsOf('lz-rgb-photo-'), ...jobsOf('lz4-text-').slice(0, 3)];
    expect(jobs.length).toBeGreaterThan(5);
    const expected = await Promise.all(jobs.map((j) => here(j)));
    // All at once, so that the second worker is started and used.
    const got = await Promise.all(jobs.map((j) => pool.decode(copyOf(j))));
    expect(pool.started).toBe(2);
    for (const [i, px] of got.entries()) {
      expect([px.width, px.height, px.hasAlpha]).toEqual([expected[i].width, expected[i].height, expected[i].hasAlpha]);
      expect(Buffer.from(px.data.buffer, px.data.byteOffset, px.data.byteLength).equals(Buffer.from(expected[i].data.buffer, expected[i].data.byteOffset, expected[i].data.byteLength))).toBe(true);
    }
    pool.close();
  });

  it('decodes a GLZ session through one window, whatever else the pool is doing', async () => {
    const pool = new DecodePool({ logger: silentLogger, workerFile, size: 3 });
    const glz = jobsOf('glz-rgb-text-');
    expect(glz.length).toBeGreaterThan(5);
    const window = new GlzWindow();
    const expected: Pixels[] = [];
    for (const j of glz) expected.push(await here(j, window));
    const quic = jobsOf('quic-text-').slice(0, 4);
    // Interleaved with QUIC work, as a busy screen would be.
    const glzPending: Promise<Pixels>[] = [];
    const quicPending: Promise<Pixels>[] = [];
    for (const [i, j] of glz.entries()) {
      glzPending.push(pool.decode(copyOf(j)));
      if (quic[i]) quicPending.push(pool.decode(copyOf(quic[i])));
    }
    const glzResults = await Promise.all(glzPending);
    await Promise.all(quicPending);
    for (const [i, px] of glzResults.entries()) expect(Array.from(px.data)).toEqual(Array.from(expected[i].data));
    pool.close();
  });

  it('a corrupt image fails with the decoder\'s error, and the pool goes on', async () => {
    const pool = new DecodePool({ logger: silentLogger, workerFile, size: 1 });
    const [good] = jobsOf('quic-photo-2');
    const bad = { ...copyOf(good), data: good.data.slice(0, 40) };
    await expect(pool.decode(bad)).rejects.toMatchObject({ kind: 'protocol', message: expect.stringMatching(/malformed data from the server/) });
    const px = await pool.decode(copyOf(good));
    expect(px.width).toBe(good.width);
    pool.close();
  });

  it('a worker that cannot start fails this decode and every later one', async () => {
    const pool = new DecodePool({ logger: silentLogger, workerFile: resolve('test/unit/main/no-such-worker.cjs'), size: 1 });
    const [job] = jobsOf('quic-photo-2');
    await expect(pool.decode(copyOf(job))).rejects.toThrow(/decode worker/);
    await expect(pool.decode(copyOf(job))).rejects.toThrow(/decode worker/);
    pool.close();
  });

  it('a closed pool refuses work and fails what was pending', async () => {
    const pool = new DecodePool({ logger: silentLogger, workerFile, size: 1 });
    const [job] = jobsOf('quic-photo-3');
    const pending = pool.decode(copyOf(job));
    pool.close();
    await expect(pending).rejects.toThrow(/decode pool closed/);
    await expect(pool.decode(copyOf(job))).rejects.toThrow(/closed/);
  });
});
