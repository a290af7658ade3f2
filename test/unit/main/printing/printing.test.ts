// The printing setting from the command line, and the spooler: a whole job reaches the backend as
// one file that is gone afterwards; an aborted or short job never reaches it and leaves nothing.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { PrintBackend, SpooledJob } from '../../../../src/main/printing/print-backend.ts';
import { printBackendFor, printSettingOf } from '../../../../src/main/printing/print-setting.ts';
import { PrintSpooler } from '../../../../src/main/printing/print-spooler.ts';
import { safeFileName } from '../../../../src/main/printing/save-backend.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-printing-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('printSettingOf', () => {
  it('off by default; a printer, save:DIR, limits; clear usage errors', () => {
    expect(printSettingOf({})).toBeUndefined();
    expect(printSettingOf({ printTo: 'off' })).toBeUndefined();
    expect(printSettingOf({ printTo: 'Office_Laser' })).toEqual({ kind: 'printer', printer: 'Office_Laser', maxBytes: 512 * 1024 * 1024 });
    expect(printSettingOf({ printTo: `save:${dir}`, printMaxMb: 2 })).toEqual({ kind: 'save', dir, maxBytes: 2 * 1024 * 1024 });
    expect(() => printSettingOf({ printTo: 'save:/no/such/folder' })).toThrow(/save:\/no\/such\/folder: no such folder/);
    expect(() => printSettingOf({ printTo: '-oevil' })).toThrow(/not a printer name/);
    expect(() => printSettingOf({ printTo: 'a b' })).toThrow(/not a printer name/);
    expect(() => printSettingOf({ printMaxMb: 3 })).toThrow(/--print-max-mb needs --print-to/);
  });

  it('a printer on Windows goes to the spooler backend (windows-backend.test.ts), CUPS elsewhere', () => {
    expect(printBackendFor({ kind: 'printer', printer: 'q', maxBytes: 1 }, 'win32').describe()).toMatch(/Windows spooler, RAW/);
    expect(printBackendFor({ kind: 'printer', printer: 'q', maxBytes: 1 }, 'linux').describe()).toMatch(/CUPS lp/);
  });

  it('file names from titles keep no path', () => {
    expect(safeFileName('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(safeFileName('  ')).toBe('print job');
  });
});

describe('PrintSpooler', () => {
  const job = { title: 't', copies: 1, format: 'pdf' as const, bytes: 8 };
  function recording(): { backend: PrintBackend; got: { job: SpooledJob; bytes: Buffer; existed: boolean }[] } {
    const got: { job: SpooledJob; bytes: Buffer; existed: boolean }[] = [];
    return {
      got,
      backend: { describe: () => 'test', print: async (j) => (got.push({ job: j, bytes: readFileSync(j.file), existed: existsSync(j.file) }), 'done') },
    };
  }
  const spoolDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('spicedesk-print-')).sort();

  it('hands a whole job to the backend as one file and deletes it after', async () => {
    const r = recording();
    const before = spoolDirs();
    const spool = new PrintSpooler(r.backend, 100, silentLogger).start(job);
    spool.write(new TextEncoder().encode('%PDF'));
    spool.write(new TextEncoder().encode('-1.4'));
    await expect(spool.finish()).resolves.toBe('done');
    expect(r.got[0].bytes.toString()).toBe('%PDF-1.4');
    expect(existsSync(r.got[0].job.file)).toBe(false);
    expect(spoolDirs()).toEqual(before);
  });

  it('a short job is not printed; an aborted one leaves nothing', async () => {
    const r = recording();
    const before = spoolDirs();
    const short = new PrintSpooler(r.backend, 100, silentLogger).start(job);
    short.write(new Uint8Array(3));
    await expect(short.finish()).rejects.toThrow(/spooled 3 of 8 bytes/);
    const aborted = new PrintSpooler(r.backend, 100, silentLogger).start(job);
    aborted.write(new Uint8Array(3));
    aborted.abort();
    expect(r.got).toEqual([]);
    expect(spoolDirs()).toEqual(before);
  });
});
