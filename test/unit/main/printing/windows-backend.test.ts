// The Windows spooler backend (windows-backend.ts) against a fake PowerShell runner, since no
// Windows runs here: each job's values reach the script only through its environment (a hostile
// title is never script text), the script is the fixed RAW writer, the outcome and failures are
// sentences, and the printer list is read from Win32_Printer's lines with the default marked.
import { describe, expect, it } from 'vitest';
import type { SpooledJob } from '../../../../src/main/printing/print-backend.ts';
import { LIST_PRINTERS_SCRIPT, listWindowsPrinters, RAW_PRINT_SCRIPT, WindowsBackend, type PowerShellRunner } from '../../../../src/main/printing/windows-backend.ts';
import { PagePrinters } from '../../../../src/main/host/page-printers.ts';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { waitFor } from '../../../helpers/wait.ts';

const job: SpooledJob = { file: 'C:\\Temp\\spool-1.pdf', title: "Report'; Remove-Item C:\\ -Recurse; '$(x)", copies: 2, format: 'pdf', bytes: 1000 };

function fakeRunner(answer: (script: string, env: Record<string, string>) => string | Error) {
  const calls: { script: string; env: Record<string, string>; timeoutMs: number }[] = [];
  const run: PowerShellRunner = (script, env, timeoutMs) => {
    calls.push({ script, env, timeoutMs });
    const a = answer(script, env);
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
  };
  return { run, calls };
}

describe('the Windows spooler backend', () => {
  it('sends the job RAW through the fixed script, its values in the environment only', async () => {
    const { run, calls } = fakeRunner(() => 'job 42\r\n');
    const backend = new WindowsBackend('Office Laser on \\\\srv', run);
    expect(await backend.print(job)).toBe('sent to printer Office Laser on \\\\srv through the Windows spooler as job 42');
    expect(calls).toHaveLength(1);
    expect(calls[0].script).toBe(RAW_PRINT_SCRIPT);
    expect(calls[0].env).toEqual({ SPICEDESK_PRINTER: 'Office Laser on \\\\srv', SPICEDESK_TITLE: job.title, SPICEDESK_FILE: job.file, SPICEDESK_COPIES: '2' });
    expect(calls[0].script).not.toContain('Report');
    // The script reads exactly those variables, RAW, and writes each copy.
    for (const name of ['SPICEDESK_PRINTER', 'SPICEDESK_TITLE', 'SPICEDESK_FILE', 'SPICEDESK_COPIES']) expect(RAW_PRINT_SCRIPT).toContain(`$env:${name}`);
    expect(RAW_PRINT_SCRIPT).toMatch(/DataType = "RAW"/);
    expect(RAW_PRINT_SCRIPT).toMatch(/for \(int c = 0; c < copies; c\+\+\)/);
  });

  it('says a media it cannot apply, and why a job failed', async () => {
    const ok = new WindowsBackend('P', fakeRunner(() => 'job 7').run);
    expect(await ok.print({ ...job, media: 'A4' })).toMatch(/as job 7 \(media A4 not applied: the printer's own setting is used\)/);
    const failing = new WindowsBackend('Nope', fakeRunner(() => new Error('Exception calling "Print": no printer Nope (error 1801)')).run);
    await expect(failing.print(job)).rejects.toThrow(/^printing on Nope failed: Exception calling "Print": no printer Nope \(error 1801\)$/);
  });

  it('lists the printers with the default marked; a failure is a sentence', async () => {
    const { run, calls } = fakeRunner(() => '0\tMicrosoft Print to PDF\r\n1\tOffice Laser\r\n\r\ngarbage line\r\n0\t\\\\srv\\Floor 2\r\n');
    expect(await listWindowsPrinters(run)).toEqual([
      { name: 'Microsoft Print to PDF', isDefault: false },
      { name: 'Office Laser', isDefault: true },
      { name: '\\\\srv\\Floor 2', isDefault: false },
    ]);
    expect(calls[0].script).toBe(LIST_PRINTERS_SCRIPT);
    await expect(listWindowsPrinters(fakeRunner(() => new Error('powershell.exe was not found')).run)).rejects.toThrow(/the Windows printers could not be listed: powershell.exe was not found/);
  });

  it("the page's printer chooser on Windows lists the spooler's printers", async () => {
    const sent: HostMessage[] = [];
    const printers = new PagePrinters((m) => sent.push(m), silentLogger, () => listWindowsPrinters(fakeRunner(() => '1\tOffice Laser\r\n').run), 'win32');
    await printers.setTarget({ kind: 'save', dir: 'C:\\Prints', maxBytes: 1 }, true);
    const m = await waitFor('PRINTERS', () => sent.find((x) => x.kind === 'printers'));
    expect(m).toMatchObject({ choices: [{ id: 'printer:Office Laser', label: 'Office Laser (default)' }, { id: 'save' }], chosen: 'save', note: '' });
    printers.handle({ kind: 'print-choose', id: 'printer:Office Laser' });
    expect(printers.backend().describe()).toMatch(/Office Laser \(Windows spooler, RAW/);
  });
});
