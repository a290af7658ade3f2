// Printing from a real guest to a CUPS queue on this machine: the guest peer's `print` set (the
// virtio-serial port org.spicedesk.print.0 on a spiceport chardev) runs the shipped backend
// resources/guest/spicedesk-print directly on a PDF in its image; `spicedesk do TARGET wait 600
// --print-to QUEUE` takes the job and prints it with lp on a private cupsd (peers/cups.ts), whose
// queue's backend writes what it got into a file. That file must be the guest's PDF byte for byte,
// with the title, copies and media the guest gave. A job over --print-max-mb is refused before its
// document is sent, the guest's backend says why, and nothing reaches the queue; the next job
// prints. --print-to save:DIR saves the same bytes as a file named after the title.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.ts';
import { waitUntil } from '../helpers/wait.ts';
import { startCups, type CupsQueue, type CupsServer } from '../peers/cups.ts';
import { startGuest, type Guest } from '../peers/guest.ts';
import { shellQuote } from '../peers/guest/console.ts';
import { GUEST_PRINT_BACKEND } from '../peers/guest/devices.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';

const BOOT_TIMEOUT_MS = 180_000;

/** A small PDF whose content stream is every byte value, many times over (seeded, so the image is cached). */
function testPdf(streamBytes: number): Buffer {
  const stream = Buffer.alloc(streamBytes);
  let seed = 0x2545f491;
  for (let i = 0; i < streamBytes; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    stream[i] = seed >>> 24;
  }
  return Buffer.concat([
    Buffer.from(`%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n3 0 obj << /Length ${streamBytes} >>\nstream\n`, 'latin1'),
    stream,
    Buffer.from('\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
  ]);
}

const PDF = testPdf(300 * 1024);
let guest: Guest;
let cups: CupsServer;
let queue: CupsQueue;
const work = mkdtempSync(join(tmpdir(), 'spicedesk-print-guest-'));

beforeAll(async () => {
  cups = await startCups();
  queue = await cups.addQueue('spicedesk-test');
  guest = await startGuest({ devices: ['print'], files: { '/report.pdf': PDF }, bootTimeoutMs: BOOT_TIMEOUT_MS });
  console.log(`print guest: booted in ${guest.bootMs} ms`);
}, BOOT_TIMEOUT_MS + 30_000);
afterAll(async () => {
  await guest?.stop();
  await cups?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** `spicedesk do TARGET wait 600 --print-to ...`: a session that prints while it waits; resolves once the print port is taken. */
async function printingClient(args: string[]): Promise<GroupProcess> {
  const p = spawnGroup(process.execPath, [BIN, 'do', `spice://127.0.0.1:${guest.port}`, 'wait', '600', ...args, '--timeout', '20', '-v'], {
    name: 'spicedesk do wait --print-to',
    env: { ...process.env, SPICE_PASSWORD: undefined, ...cups.env },
  });
  await waitUntil('spicedesk to take the print port', () => /port org\.spicedesk\.print\.0: printing: /.test(p.outputTail()), 30_000, { explain: () => p.outputTail() });
  return p;
}

/** Runs the shipped backend in the guest as CUPS would: JOB-ID USER TITLE COPIES OPTIONS FILE. */
function backend(title: string, copies: number, options: string, file: string) {
  return guest.run(`SPICEDESK_PRINT_TIMEOUT=30 ${GUEST_PRINT_BACKEND} 7 user ${shellQuote(title)} ${copies} ${shellQuote(options)} ${file}`, { timeoutMs: 60_000 });
}

describe('printing from a guest', () => {
  it('the guest\'s PDF reaches the CUPS queue byte for byte; a job over the limit is refused and prints nothing', { timeout: 150_000 }, async () => {
    const client = await printingClient(['--print-to', queue.name, '--print-max-mb', '1']);
    try {
      const printed = await backend('Quarterly "report" \\ 2026', 2, 'media=A4 number-up=1', '/report.pdf');
      expect(printed.status, printed.output).toBe(0);
      expect(printed.output).toMatch(/INFO: spicedesk: sent to printer spicedesk-test as job spicedesk-test-\d+/);
      await waitUntil('the queue to print the job', () => queue.printed() !== null, 30_000, { explain: () => cups.log() });
      expect(queue.printed()?.equals(PDF)).toBe(true);
      expect(queue.lastJob()).toMatchObject({ title: 'Quarterly "report" \\ 2026', copies: 2 });
      expect(queue.lastJob()?.options).toMatch(/(^| )media=A4( |$)/);
      // The queue's backend renames its file into place before cupsd marks the job completed.
      await waitUntil('cupsd to mark the job completed', async () => (await cups.completedJobs()).length === 1, 30_000, { explain: () => cups.log() });

      // Over --print-max-mb 1: refused before the document is sent; the queue gets nothing.
      const big = await guest.run("{ printf '%%PDF-1.4\\n'; dd if=/dev/zero bs=1024 count=1100 2>/dev/null; } > /tmp/big.pdf && wc -c < /tmp/big.pdf");
      expect(Number(big.output.trim())).toBe(9 + 1100 * 1024);
      const refused = await backend('too big', 1, '', '/tmp/big.pdf');
      expect(refused.status).toBe(1);
      expect(refused.output).toMatch(/ERROR: spicedesk refused the job: the document is 1\.1 MiB, more than this client takes \(1\.0 MiB, --print-max-mb\)/);
      expect(refused.output).not.toMatch(/sending/);
      // The log line may come after the guest has the refusal (the client answers first, and its
      // log reaches the pipe later: a loaded full run read the output before it).
      await waitUntil('the client to log the refusal', () => /print job refused: the document is 1\.1 MiB/.test(client.outputTail()), 10_000, { explain: () => client.outputTail() });

      // The port is still in step: a PostScript job after the refusal prints.
      const ps = await guest.run("printf '%%!PS-Adobe-3.0\\n/Times-Roman findfont 12 scalefont setfont 72 720 moveto (after) show showpage\\n' > /tmp/after.ps && echo ok");
      expect(ps.output).toMatch(/ok/);
      const after = await backend('after', 1, '', '/tmp/after.ps');
      expect(after.status, after.output).toBe(0);
      await waitUntil('the second job', async () => (await cups.completedJobs()).length === 2, 30_000, { explain: () => cups.log() });
      expect(queue.printed()?.toString('latin1')).toMatch(/^%!PS-Adobe-3\.0\n.*\(after\) show showpage\n$/s);
      expect(queue.lastJob()?.title).toBe('after');
      // Nothing else was queued: the refused job never reached CUPS.
      expect(await cups.completedJobs()).toHaveLength(2);
      expect(client.outputTail()).not.toMatch(/channel failed/);
    } finally {
      await client.stop();
    }
  });

  it('--print-to save:DIR saves the job as a PDF named after its title', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(work, 'saved-'));
    const client = await printingClient(['--print-to', `save:${dir}`]);
    try {
      const saved = await backend('Invoice 12/2026', 1, '', '/report.pdf');
      expect(saved.status, saved.output).toBe(0);
      expect(saved.output).toMatch(/INFO: spicedesk: saved as .*Invoice 12_2026\.pdf/);
      expect(readdirSync(dir)).toEqual(['Invoice 12_2026.pdf']);
      expect(readFileSync(join(dir, 'Invoice 12_2026.pdf')).equals(PDF)).toBe(true);
    } finally {
      await client.stop();
    }
  });

});
