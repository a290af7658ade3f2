// capture's decoders in its own thread: the built bundle (dist/image-decoders.cjs) loaded on the
// first need, recorded Xspice images decoded as the TypeScript codecs decode them here, GLZ through
// its one window, and a bundle that cannot load ends in an error that says so, not a hang.
import { resolve } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DecodeJob } from '../../../../src/protocol/display/image-decode-job.ts';
import { runDecodeJob } from '../../../../src/protocol/display/run-decode-job.ts';
import { GlzWindow } from '../../../../src/protocol/codecs/glz-window.ts';
import { InThreadDecoder, loadImageDecodersBundle } from '../../../../src/main/display-worker/in-thread-decoder.ts';
import { recordedDecodeJobs } from '../../../fixtures/images/recorded-image.ts';

const DIST = resolve('dist'); // built by test/global-setup.ts

const jobsOf = (prefix: string): DecodeJob[] => recordedDecodeJobs(prefix);

const inflater = { inflate: (d: Uint8Array, n: number) => new Uint8Array(inflateSync(d, { maxOutputLength: n })) };
const bytes = (p: { data: Uint32Array | Uint8Array }) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength);

describe('InThreadDecoder', () => {
  it('loads the bundle only when asked, then decodes QUIC, LZ, LZ4 and a GLZ session like the codecs here', async () => {
    let loads = 0;
    const load = loadImageDecodersBundle(DIST);
    const decoder = new InThreadDecoder(() => {
      loads++;
      return load();
    });
    expect(loads).toBe(0);
    decoder.prestart();
    decoder.prestart();
    expect(loads).toBe(1);
    const jobs = [...jobsOf('quic-photo-'), ...jobsOf('lz-rgb-photo-'), ...jobsOf('lz4-text-').slice(0, 3), ...jobsOf('glz-rgb-text-')];
    expect(jobs.length).toBeGreaterThan(10);
    const window = new GlzWindow();
    for (const job of jobs) {
      const expected = await runDecodeJob({ ...job, data: job.data.slice() }, { glzWindow: window, inflater });
      const got = await decoder.decode({ ...job, data: job.data.slice() });
      expect([got.width, got.height, got.hasAlpha]).toEqual([expected.width, expected.height, expected.hasAlpha]);
      expect(bytes(got).equals(bytes(expected))).toBe(true);
    }
    expect(loads).toBe(1);
    decoder.close();
    await expect(decoder.decode(jobs[0])).rejects.toThrow(/closed/);
  });

  it('a bundle that is not there: each decode fails saying the decoders did not load', async () => {
    const decoder = new InThreadDecoder(loadImageDecodersBundle(resolve('no-such-dist')));
    const [job] = jobsOf('quic-photo-');
    await expect(decoder.decode(job)).rejects.toThrow(/the image decoders did not load: .*image-decoders\.cjs/);
    await expect(decoder.decode(job)).rejects.toThrow(/did not load/);
  });
});
