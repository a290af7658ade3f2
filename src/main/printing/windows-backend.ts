// Printing on Windows is not there yet (it would go through the spooler or Electron's printing):
// every job fails with a message saying so, and what works instead.
import type { PrintBackend, SpooledJob } from './print-backend.ts';

export class WindowsBackend implements PrintBackend {
  constructor(private readonly printer: string) {}

  describe(): string {
    return `printer ${this.printer} (Windows: not supported yet)`;
  }

  print(_job: SpooledJob): Promise<string> {
    return Promise.reject(new Error('printing on a Windows client is not there yet; use --print-to save:DIR'));
  }
}
