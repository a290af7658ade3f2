// The print port alone, with the guest's backend played by the test: a job in pieces of any size
// reaches the spool whole and is printed once; a job over the limit, with printing off, with a bad
// field or the wrong format is refused with an ERR line and nothing is printed; a header out of
// step ends the channel; a channel that goes mid-document prints nothing.
import { describe, expect, it } from 'vitest';
import type { PortIo, PrintJobHeader, PrintService } from '../../../../src/protocol/channels/port/port-handler.ts';
import { buildPrintJobHeader, checkHeader, PrintPort } from '../../../../src/protocol/channels/port/print-port.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { ProtocolError } from '../../../../src/protocol/wire/errors.ts';
import { waitUntil } from '../../../helpers/wait.ts';

const PDF = new TextEncoder().encode('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

function fakeHost(maxBytes = 1024, outcome: (job: PrintJobHeader, bytes: Uint8Array) => Promise<string> = async () => 'printed') {
  const lines: string[] = [];
  const printed: { job: PrintJobHeader; bytes: Uint8Array }[] = [];
  const aborted: PrintJobHeader[] = [];
  const io: PortIo = {
    write: (bytes) => lines.push(...new TextDecoder().decode(bytes).split('\n').filter(Boolean)),
    sendEvent: () => {},
    log: silentLogger,
    channelName: 'port:1',
  };
  const service: PrintService = {
    maxBytes,
    describe: () => 'test printer',
    start: (job) => {
      const chunks: Uint8Array[] = [];
      return {
        write: (b) => chunks.push(b.slice()),
        finish: async () => {
          const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
          let o = 0;
          for (const c of chunks) {
            bytes.set(c, o);
            o += c.byteLength;
          }
          printed.push({ job, bytes });
          return outcome(job, bytes);
        },
        abort: () => aborted.push(job),
      };
    },
  };
  return { io, service, lines, printed, aborted };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

describe('PrintPort', () => {
  it('takes a job cut into pieces of every size, says READY, then OK once printed, with the same bytes', async () => {
    for (const piece of [1, 3, 7, 64, 100_000]) {
      const h = fakeHost();
      const port = new PrintPort(h.io, h.service);
      const header = buildPrintJobHeader({ title: 'report\u0007.pdf', copies: 2, media: 'A4', format: 'pdf' }, PDF.byteLength);
      for (let o = 0; o < header.byteLength; o += piece) port.data(header.subarray(o, o + piece));
      await waitUntil('READY', () => h.lines.length === 1);
      expect(h.lines).toEqual(['READY']);
      for (let o = 0; o < PDF.byteLength; o += piece) port.data(PDF.subarray(o, o + piece));
      await waitUntil('OK', () => h.lines.length === 2);
      expect(h.lines[1]).toBe('OK printed');
      expect(h.printed).toHaveLength(1);
      expect(h.printed[0].bytes).toEqual(PDF);
      expect(h.printed[0].job).toEqual({ title: 'report .pdf', copies: 2, media: 'A4', format: 'pdf', bytes: PDF.byteLength });
    }
  });

  it('two jobs in one write are taken in order', async () => {
    const h = fakeHost();
    const port = new PrintPort(h.io, h.service);
    const ps = new TextEncoder().encode('%!PS-Adobe-3.0\nshowpage\n');
    port.data(concat(buildPrintJobHeader({ format: 'pdf' }, PDF.byteLength), PDF, buildPrintJobHeader({ title: 'b', format: 'postscript' }, ps.byteLength), ps));
    await waitUntil('both', () => h.lines.length === 4);
    expect(h.lines).toEqual(['READY', 'OK printed', 'READY', 'OK printed']);
    expect(h.printed.map((p) => p.job.format)).toEqual(['pdf', 'postscript']);
    expect(h.printed[1].bytes).toEqual(ps);
  });

  it('refuses a job over the limit before any document byte, and takes the next one', async () => {
    const h = fakeHost(16);
    const port = new PrintPort(h.io, h.service);
    port.data(buildPrintJobHeader({ format: 'pdf' }, 17));
    await waitUntil('ERR', () => h.lines.length === 1);
    expect(h.lines[0]).toMatch(/^ERR the document is 0\.0 MiB, more than this client takes .*--print-max-mb/);
    expect(h.printed).toEqual([]);
    const small = PDF.subarray(0, 16);
    port.data(concat(buildPrintJobHeader({ format: 'pdf' }, small.byteLength), small));
    await waitUntil('OK', () => h.lines.length === 3);
    expect(h.lines.slice(1)).toEqual(['READY', 'OK printed']);
    expect(port.counts).toEqual({ printed: 1, refused: 1, failed: 0 });
  });

  it('refuses every job when printing is off', async () => {
    const h = fakeHost();
    const port = new PrintPort(h.io, undefined);
    expect(port.describe()).toMatch(/off/);
    port.data(buildPrintJobHeader({ format: 'pdf' }, 10));
    await waitUntil('ERR', () => h.lines.length === 1);
    expect(h.lines[0]).toMatch(/^ERR printing is off on this client.*--print-to/);
  });

  it('refuses bad fields with a line that names them', () => {
    const h = fakeHost();
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    expect(checkHeader(enc({ format: 'docx' }), 1n, h.service)).toMatch(/format "docx"/);
    expect(checkHeader(enc({ format: 'pdf', copies: 0 }), 1n, h.service)).toMatch(/copies 0/);
    expect(checkHeader(enc({ format: 'pdf', copies: 1.5 }), 1n, h.service)).toMatch(/copies 1.5/);
    expect(checkHeader(enc({ format: 'pdf', media: '-o evil' }), 1n, h.service)).toMatch(/media/);
    expect(checkHeader(enc({ format: 'pdf', title: 3 }), 1n, h.service)).toMatch(/title/);
    expect(checkHeader(enc([1]), 1n, h.service)).toMatch(/not a JSON object/);
    expect(checkHeader(new TextEncoder().encode('{'), 1n, h.service)).toMatch(/not UTF-8 JSON/);
    expect(checkHeader(enc({ format: 'pdf' }), 0n, h.service)).toMatch(/empty document/);
    expect(checkHeader(enc({ format: 'pdf' }), 2n ** 64n - 1n, h.service)).toMatch(/more than this client takes/);
  });

  it('a document that is not the format its header says is not printed', async () => {
    const h = fakeHost();
    const port = new PrintPort(h.io, h.service);
    const notPdf = new TextEncoder().encode('MZ\x90\x00 not a pdf');
    port.data(concat(buildPrintJobHeader({ format: 'pdf' }, notPdf.byteLength), notPdf));
    await waitUntil('ERR', () => h.lines.length === 2);
    expect(h.lines).toEqual(['READY', 'ERR the document does not start with %PDF- (starts with 4d 5a c2 90), yet the header says pdf']);
    expect(h.printed).toEqual([]);
    expect(h.aborted).toHaveLength(1);
  });

  it('a failed print comes back as ERR with the reason', async () => {
    const h = fakeHost(1024, () => Promise.reject(new Error('printing on q failed: lp: The printer or class does not exist.')));
    const port = new PrintPort(h.io, h.service);
    port.data(concat(buildPrintJobHeader({ format: 'pdf' }, PDF.byteLength), PDF));
    await waitUntil('ERR', () => h.lines.length === 2);
    expect(h.lines[1]).toBe('ERR printing on q failed: lp: The printer or class does not exist.');
  });

  it('bytes out of step end the channel with a ProtocolError and an ERR line for the guest', async () => {
    for (const [bytes, why] of [
      [new TextEncoder().encode('GET / HTTP/1.1\r\n'), /not "SDPJ"/],
      [Uint8Array.of(0x53, 0x44, 0x50, 0x4a, 9, 1, 0, 0, 0), /version 9/],
      [Uint8Array.of(0x53, 0x44, 0x50, 0x4a, 1, 0, 0, 0, 1), /16777216 bytes of JSON/],
    ] as const) {
      const h = fakeHost();
      const port = new PrintPort(h.io, h.service);
      expect(() => port.data(bytes)).toThrow(ProtocolError);
      expect(() => port.data(bytes)).toThrow(why);
      await waitUntil('ERR', () => h.lines.length >= 1);
      expect(h.lines[0]).toMatch(why);
    }
  });

  it('a port that closes mid-document drops the job: nothing printed, the spool aborted', async () => {
    const h = fakeHost();
    const port = new PrintPort(h.io, h.service);
    port.data(concat(buildPrintJobHeader({ format: 'pdf' }, PDF.byteLength), PDF.subarray(0, 10)));
    await waitUntil('READY', () => h.lines.length === 1);
    port.closed();
    expect(h.aborted).toHaveLength(1);
    // The next opening starts with a fresh header.
    port.data(concat(buildPrintJobHeader({ format: 'pdf' }, PDF.byteLength), PDF));
    await waitUntil('OK', () => h.lines.length === 3);
    expect(h.printed).toHaveLength(1);
    expect(h.printed[0].bytes).toEqual(PDF);
    port.dispose();
  });
});
