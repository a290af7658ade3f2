// "Save instead": each job becomes a .pdf or .ps file in the folder the user chose, named after its
// title, never over an existing file.
import { copyFile, constants } from 'node:fs/promises';
import { join } from 'node:path';
import type { PrintBackend, SpooledJob } from './print-backend.ts';

const MAX_TRIES = 1000;

export class SaveBackend implements PrintBackend {
  constructor(private readonly dir: string) {}

  describe(): string {
    return `save to ${this.dir}`;
  }

  async print(job: SpooledJob): Promise<string> {
    const base = safeFileName(job.title);
    const ext = job.format === 'pdf' ? '.pdf' : '.ps';
    for (let i = 0; i < MAX_TRIES; i++) {
      const path = join(this.dir, `${base}${i ? ` (${i + 1})` : ''}${ext}`);
      try {
        await copyFile(job.file, path, constants.COPYFILE_EXCL);
        return `saved as ${path}`;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`saving into ${this.dir} failed: ${(e as Error).message}`);
      }
    }
    throw new Error(`saving into ${this.dir} failed: ${MAX_TRIES} files named ${base} already there`);
  }
}

/** A file name from a job title: no path separators, no characters Windows or shells trip on. */
export function safeFileName(title: string): string {
  const name = title.replace(/[/\\:*?"<>|\u0000-\u001f]/g, '_').replace(/^[.\s]+/, '').trim().slice(0, 120);
  return name || 'print job';
}
