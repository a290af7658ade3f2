// Image decoding in the thread that owns the sockets, for `capture`: it takes one frame and exits,
// so the 30-50 ms a pool worker takes to start (decode-pool.ts) came on top of decoding the frame's
// one large image, which the server sends only once it has compressed all of it (a 1920x1080 photo:
// about 50 ms after the display links). Here the decoders (dist/image-decoders.cjs, through the
// code cache) load while that image is on its way (the display channel's first bytes of a large
// compressed draw call prestart), and the image is decoded as soon as it is whole. A screen that
// comes uncompressed loads nothing. GLZ images are decoded here too: this context holds the window.
import type { DecodeJob, ImageDecoder } from '../../protocol/display/image-decode-job.ts';
import type { Pixels } from '../../protocol/pixels/pixels.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { requireCachedBundle } from '../node/cached-bundle.ts';
import type { ThreadDecoders } from './in-thread-decoders-entry.ts';

/** dist/image-decoders.cjs, beside the bundled CLI, through bin/load-cached.cjs where it is there. */
export function loadImageDecodersBundle(distDir: string = __dirname): () => ThreadDecoders {
  // Not bundled into the CLI: the codecs load only when a capture needs them.
  return () => (requireCachedBundle(distDir, 'image-decoders.cjs') as typeof import('./in-thread-decoders-entry.ts')).createThreadDecoders();
}

export class InThreadDecoder implements ImageDecoder {
  /** The job's bytes stay in this thread: decodeJobOf need not copy them. */
  readonly transfersJobs = false;
  private decoders: ThreadDecoders | null = null;
  private failure: SpiceError | null = null;
  private closed = false;

  constructor(private readonly load: () => ThreadDecoders = loadImageDecodersBundle()) {}

  /** Loads the decoders now (a large compressed image is arriving). */
  prestart(): void {
    this.ready();
  }

  decode(job: DecodeJob, into?: Uint32Array): Promise<Pixels> {
    if (this.closed) return Promise.reject(new SpiceError('internal', 'the image decoders are closed'));
    const decoders = this.ready();
    return decoders ? decoders.decode(job, into) : Promise.reject(this.failure);
  }

  close(): void {
    this.closed = true;
    this.decoders?.close();
    this.decoders = null;
  }

  private ready(): ThreadDecoders | null {
    if (this.decoders || this.failure || this.closed) return this.decoders;
    try {
      this.decoders = this.load();
    } catch (e) {
      this.failure = new SpiceError('internal', `the image decoders did not load: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return this.decoders;
  }
}
