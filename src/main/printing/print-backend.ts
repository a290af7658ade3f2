// How a whole, spooled print job reaches the user: a printing backend prints (or saves) one file.
// Backends: CUPS `lp` (Linux, macOS), a folder ("save instead"), and the Windows spooler (RAW, windows-backend.ts).

export interface SpooledJob {
  /** The spool file, whole; the spooler deletes it once the backend is done. */
  file: string;
  title: string;
  copies: number;
  media?: string;
  format: 'pdf' | 'postscript';
  bytes: number;
}

export interface PrintBackend {
  /** "printer q", "save to /home/me/Prints" (for `info` and logs). */
  describe(): string;
  /** Prints or saves the job; resolves with what was done (one line), rejects with why not. */
  print(job: SpooledJob): Promise<string>;
}

/** One of the host's printers, as the platform's printing system lists it. */
export interface PrinterInfo {
  name: string;
  /** The system's default destination. */
  isDefault: boolean;
}

/** Lists the host's printers (CUPS: `lpstat`); rejects with a sentence when it cannot. */
export type PrinterLister = () => Promise<PrinterInfo[]>;
