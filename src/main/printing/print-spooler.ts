// The host's side of the print port (PrintService): each job's document goes into a spool file
// of its own in a private temporary folder as it arrives; only a whole document is handed to the
// backend, and the spool file is deleted afterwards, printed or not.
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PrintJobHeader, PrintJobSpool, PrintService } from '../../protocol/channels/port/port-handler.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { PrintBackend } from './print-backend.ts';

export class PrintSpooler implements PrintService {
  private jobs = 0;

  /** `backend`: fixed, or asked at each job's start (the page's printer chooser, page-printers.ts). */
  constructor(
    private readonly backend: PrintBackend | (() => PrintBackend),
    readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  private current(): PrintBackend {
    return typeof this.backend === 'function' ? this.backend() : this.backend;
  }

  describe(): string {
    return this.current().describe();
  }

  start(job: PrintJobHeader): PrintJobSpool {
    // The job goes where the choice was when it started, whatever is chosen while it arrives.
    const backend = this.current();
    const dir = mkdtempSync(join(tmpdir(), 'spicedesk-print-'));
    const file = join(dir, `job-${++this.jobs}${job.format === 'pdf' ? '.pdf' : '.ps'}`);
    const stream = createWriteStream(file, { mode: 0o600 });
    let failure: Error | null = null;
    stream.on('error', (e) => (failure ??= e));
    let written = 0;
    const remove = (): void => rmSync(dir, { recursive: true, force: true });
    return {
      write: (bytes) => {
        written += bytes.byteLength;
        // The port's buffer is reused: the stream keeps a copy until it is on disk.
        if (!failure) stream.write(bytes.slice());
      },
      finish: async () => {
        try {
          await closeStream(stream);
          if (failure) throw new Error(`spooling the job failed: ${(failure as Error).message}`);
          if (written !== job.bytes) throw new Error(`spooled ${written} of ${job.bytes} bytes`);
          return await backend.print({ file, title: job.title, copies: job.copies, media: job.media, format: job.format, bytes: job.bytes });
        } finally {
          remove();
        }
      },
      abort: () => {
        this.log.info({ title: job.title, received: written, bytes: job.bytes }, 'print job dropped before it was whole: nothing printed');
        stream.destroy();
        remove();
      },
    };
  }
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed) resolve();
    else stream.end(() => resolve());
    stream.once('error', () => resolve());
  });
}
