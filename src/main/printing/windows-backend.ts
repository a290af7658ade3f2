// Printing on a Windows client through the Windows spooler, with nothing but what Windows ships:
// PowerShell compiles a few lines of C# that call winspool.drv (OpenPrinter, StartDocPrinter with
// the RAW data type, WritePrinter) and hands the spooled document to the printer as it is, once
// per copy, under the job's title. RAW means the printer itself must understand the document:
// PostScript printers take PostScript, and printers that take PDF directly (most IPP Everywhere
// and many office printers) take PDF; a GDI-only printer would print the bytes as garbage or
// nothing. Rendering a PDF for any printer needs a PDF renderer (SumatraPDF, as pdf-to-printer
// bundles, or Electron's printing of a rendered page): not done here. Every value reaches the
// script through environment variables, never inside its text, so a hostile title cannot become
// PowerShell. Not run on Windows here: tested against a fake runner.
import { execFile } from 'node:child_process';
import type { PrintBackend, PrinterInfo, SpooledJob } from './print-backend.ts';

const POWERSHELL_TIMEOUT_MS = 60_000;

/** Runs PowerShell with a script and environment; resolves with stdout, rejects with stderr's sentence. */
export type PowerShellRunner = (script: string, env: Record<string, string>, timeoutMs: number) => Promise<string>;

/** powershell.exe (Windows PowerShell 5.1, in every Windows since 10) without profile or prompts. */
export const runPowerShell: PowerShellRunner = (script, env, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', script],
      { timeout: timeoutMs, env: { ...process.env, ...env }, windowsHide: true },
      (err, stdout, stderr) => {
        if (err) reject(new Error(stderr.trim().split(/\r?\n/)[0] || ((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'powershell.exe was not found' : err.message)));
        else resolve(stdout);
      },
    );
  });

/** The RAW spooler job: its values come from SPICEDESK_PRINTER, _TITLE, _FILE, _COPIES. */
export const RAW_PRINT_SCRIPT = `$ErrorActionPreference = 'Stop'
Add-Type -TypeDefinition @'
using System; using System.IO; using System.Runtime.InteropServices;
public static class SpicedeskRawPrint {
  [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
  public class DocInfo { public string Name; public string Output; public string DataType; }
  [DllImport("winspool.drv", CharSet = CharSet.Unicode, SetLastError = true)] static extern bool OpenPrinter(string name, out IntPtr h, IntPtr defaults);
  [DllImport("winspool.drv", SetLastError = true)] static extern bool ClosePrinter(IntPtr h);
  [DllImport("winspool.drv", CharSet = CharSet.Unicode, SetLastError = true)] static extern int StartDocPrinter(IntPtr h, int level, DocInfo info);
  [DllImport("winspool.drv", SetLastError = true)] static extern bool EndDocPrinter(IntPtr h);
  [DllImport("winspool.drv", SetLastError = true)] static extern bool StartPagePrinter(IntPtr h);
  [DllImport("winspool.drv", SetLastError = true)] static extern bool EndPagePrinter(IntPtr h);
  [DllImport("winspool.drv", SetLastError = true)] static extern bool WritePrinter(IntPtr h, byte[] bytes, int count, out int written);
  public static int Print(string printer, string title, string file, int copies) {
    IntPtr h;
    if (!OpenPrinter(printer, out h, IntPtr.Zero)) throw new Exception("no printer " + printer + " (error " + Marshal.GetLastWin32Error() + ")");
    try {
      int job = 0;
      byte[] buffer = new byte[65536];
      for (int c = 0; c < copies; c++) {
        job = StartDocPrinter(h, 1, new DocInfo { Name = title, DataType = "RAW" });
        if (job == 0) throw new Exception("the spooler refused the job (error " + Marshal.GetLastWin32Error() + ")");
        StartPagePrinter(h);
        using (FileStream s = File.OpenRead(file)) {
          int n;
          while ((n = s.Read(buffer, 0, buffer.Length)) > 0) {
            int written;
            byte[] chunk = buffer;
            if (n < buffer.Length) { chunk = new byte[n]; Array.Copy(buffer, chunk, n); }
            if (!WritePrinter(h, chunk, n, out written) || written != n) throw new Exception("writing to the spooler failed (error " + Marshal.GetLastWin32Error() + ")");
          }
        }
        EndPagePrinter(h);
        EndDocPrinter(h);
      }
      return job;
    } finally { ClosePrinter(h); }
  }
}
'@
$job = [SpicedeskRawPrint]::Print($env:SPICEDESK_PRINTER, $env:SPICEDESK_TITLE, $env:SPICEDESK_FILE, [int]$env:SPICEDESK_COPIES)
Write-Output "job $job"
`;

/** The printers, one a line: "1<TAB>name" for the default, "0<TAB>name" for the others. */
export const LIST_PRINTERS_SCRIPT = `$ErrorActionPreference = 'Stop'
Get-CimInstance -ClassName Win32_Printer | ForEach-Object { "{0}\`t{1}" -f ([int][bool]$_.Default), $_.Name }
`;

export class WindowsBackend implements PrintBackend {
  constructor(
    private readonly printer: string,
    private readonly run: PowerShellRunner = runPowerShell,
  ) {}

  describe(): string {
    return `printer ${this.printer} (Windows spooler, RAW: the printer must take PDF or PostScript)`;
  }

  async print(job: SpooledJob): Promise<string> {
    const env = { SPICEDESK_PRINTER: this.printer, SPICEDESK_TITLE: job.title, SPICEDESK_FILE: job.file, SPICEDESK_COPIES: String(job.copies) };
    let out: string;
    try {
      out = await this.run(RAW_PRINT_SCRIPT, env, POWERSHELL_TIMEOUT_MS);
    } catch (e) {
      throw new Error(`printing on ${this.printer} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const id = /job (\d+)/.exec(out)?.[1];
    // The media is the printer's own setting for a RAW job: say so rather than pretend.
    return `sent to printer ${this.printer} through the Windows spooler${id ? ` as job ${id}` : ''}${job.media ? ` (media ${job.media} not applied: the printer's own setting is used)` : ''}`;
  }
}

/** The Windows printers (Win32_Printer), the default marked. */
export async function listWindowsPrinters(run: PowerShellRunner = runPowerShell): Promise<PrinterInfo[]> {
  let out: string;
  try {
    out = await run(LIST_PRINTERS_SCRIPT, {}, 15_000);
  } catch (e) {
    throw new Error(`the Windows printers could not be listed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const printers: PrinterInfo[] = [];
  for (const line of out.split(/\r?\n/)) {
    const m = /^([01])\t(.+)$/.exec(line.trimEnd());
    if (m) printers.push({ name: m[2], isDefault: m[1] === '1' });
  }
  return printers;
}
