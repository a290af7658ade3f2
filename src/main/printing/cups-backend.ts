// Printing through CUPS on Linux and macOS: `lp -d PRINTER -n COPIES -t TITLE [-o media=M] FILE`.
// lp reaches the CUPS server the usual way (CUPS_SERVER, ~/.cups/client.conf, the local socket).
// Every value goes as its own argument (no shell); the title and media were checked by print-port.ts.
import { execFile } from 'node:child_process';
import type { PrintBackend, PrinterInfo, SpooledJob } from './print-backend.ts';

const LP_TIMEOUT_MS = 60_000;

export class CupsBackend implements PrintBackend {
  constructor(
    private readonly printer: string,
    private readonly lp = 'lp',
  ) {}

  describe(): string {
    return `printer ${this.printer} (CUPS lp)`;
  }

  print(job: SpooledJob): Promise<string> {
    const args = ['-d', this.printer, '-n', String(job.copies), '-t', job.title];
    if (job.media) args.push('-o', `media=${job.media}`);
    // The spool file has no telling name: say what the document is.
    args.push('-o', `document-format=${job.format === 'pdf' ? 'application/pdf' : 'application/postscript'}`);
    args.push('--', job.file);
    return new Promise((resolve, reject) => {
      execFile(this.lp, args, { timeout: LP_TIMEOUT_MS }, (err, stdout, stderr) => {
        if (err) {
          const why = stderr.trim() || ((err as NodeJS.ErrnoException).code === 'ENOENT' ? `${this.lp} is not installed (CUPS)` : err.message);
          reject(new Error(`printing on ${this.printer} failed: ${why}`));
          return;
        }
        // lp says "request id is q-12 (1 file(s))".
        const id = /request id is (\S+)/.exec(stdout)?.[1];
        resolve(`sent to printer ${this.printer}${id ? ` as job ${id}` : ''}`);
      });
    });
  }
}

const LPSTAT_TIMEOUT_MS = 10_000;

/**
 * The CUPS destinations this machine prints to (`lpstat -e`, one name a line) and the default
 * (`lpstat -d`), from the same CUPS server lp uses. The C locale keeps lpstat's sentences parseable.
 */
export async function listCupsPrinters(lpstat = 'lpstat'): Promise<PrinterInfo[]> {
  const run = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(lpstat, args, { timeout: LPSTAT_TIMEOUT_MS, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        // lpstat -d exits 0 even without a default; -e fails when no CUPS server answers.
        const why = stderr.trim() || ((err as NodeJS.ErrnoException).code === 'ENOENT' ? `${lpstat} is not installed (CUPS)` : err.message);
        reject(new Error(`listing the printers failed: ${why}`));
      });
    });
  const names = (await run(['-e'])).split('\n').map((l) => l.trim()).filter((l) => /^[^\s/\\'"#]{1,127}$/.test(l));
  const fallback = /system default destination: (\S+)/.exec(await run(['-d']).catch(() => ''))?.[1];
  return [...new Set(names)].map((name) => ({ name, isDefault: name === fallback }));
}
