// A GET's Range header (RFC 9110 14.1-14.2), for a guest reading part of a shared file: GVFS's
// WebDAV backend reads from where an application seeks (a video player jumping about a large
// file); without ranges each such read would send the whole file again. One range is served as a
// 206 with Content-Range; several as a 206 multipart/byteranges (14.6), with overlapping or
// nearly adjacent ranges joined (a part's own headers cost more than a small gap) and at most
// MAX_RANGES of them: a request for thousands of tiny ranges is a way to make a server work, so it
// gets the whole file, which the RFC allows, as does a header this parser does not understand: a
// Range is a hint, never a reason to fail a GET.

import { randomBytes } from 'node:crypto';

/** The bytes [start, end] of the file (end included). */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a GET does with its Range header: the whole file, one range, several (multipart), or 416. */
export type RangeAnswer = { kind: 'whole' } | { kind: 'part'; range: ByteRange } | { kind: 'parts'; ranges: ByteRange[] } | { kind: 'unsatisfiable' };

/** More ranges than this in one header (before joining) get the whole file. */
export const MAX_RANGES = 32;
/** Ranges this close are joined: a part's headers are about 100 bytes. */
export const JOIN_GAP_BYTES = 128;

const WHOLE: RangeAnswer = { kind: 'whole' };
const DIGITS = /^\d{1,15}$/;

/**
 * The answer to `header` (the request's Range) for a file of `size` bytes. `ifRange`: the
 * request's If-Range; when it names another version than `etag`/`lastModified` (the file
 * changed since the client's earlier piece), the whole file is sent instead.
 */
export function answerRange(header: string | undefined, size: number, ifRange?: { value: string | undefined; etag: string; lastModified: string }): RangeAnswer {
  if (header === undefined) return WHOLE;
  if (ifRange?.value !== undefined) {
    const v = ifRange.value.trim();
    // A weak validator never matches (RFC 9110 13.1.5: If-Range compares strongly).
    if (v !== ifRange.etag && v !== ifRange.lastModified) return WHOLE;
  }
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return WHOLE;
  const specs = m[1].split(',').map((s) => s.trim());
  if (specs.length > MAX_RANGES) return WHOLE;
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    const range = parseSpec(spec, size);
    // One spec this parser cannot read makes the header one it ignores (the whole file).
    if (range === 'invalid') return WHOLE;
    // An unsatisfiable spec among satisfiable ones is left out (14.1.1: the set is satisfiable if any is).
    if (range !== 'unsatisfiable') ranges.push(range);
  }
  if (!ranges.length) return { kind: 'unsatisfiable' };
  const joined = joinRanges(ranges);
  return joined.length === 1 ? { kind: 'part', range: joined[0] } : { kind: 'parts', ranges: joined };
}

function parseSpec(spec: string, size: number): ByteRange | 'invalid' | 'unsatisfiable' {
  const dash = spec.indexOf('-');
  if (dash < 0) return 'invalid';
  const first = spec.slice(0, dash).trim();
  const last = spec.slice(dash + 1).trim();
  if (first === '') {
    // The last N bytes.
    if (!DIGITS.test(last)) return 'invalid';
    const n = Number(last);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  if (!DIGITS.test(first) || (last !== '' && !DIGITS.test(last))) return 'invalid';
  const start = Number(first);
  // A range that ends before it starts is not a range: the header is ignored, as the RFC says.
  if (last !== '' && Number(last) < start) return 'invalid';
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/**
 * The ranges in file order with overlapping and nearly adjacent ones joined (14.6 allows it, in
 * any order): a client asking for pieces in another order gets them in file order, each part
 * labelled with its Content-Range.
 */
function joinRanges(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: ByteRange[] = [{ ...sorted[0] }];
  for (const r of sorted.slice(1)) {
    const last = out[out.length - 1];
    if (r.start <= last.end + 1 + JOIN_GAP_BYTES) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** A multipart/byteranges reply: its Content-Type, its exact Content-Length, and what to send. */
export interface MultipartReply {
  contentType: string;
  length: number;
  /** Each range of the file, after its part's boundary and headers. */
  parts: { start: number; length: number; before: Buffer }[];
  /** The closing boundary. */
  after: Buffer;
}

/**
 * The reply for several ranges of a file of `size` bytes (RFC 9110 14.6): each part is a
 * boundary, its Content-Type and Content-Range, and the bytes. The boundary is random, so no
 * file's bytes can be made to look like one.
 */
export function multipartByteranges(ranges: readonly ByteRange[], size: number, boundary = randomBytes(16).toString('hex')): MultipartReply {
  const parts = ranges.map((r, i) => ({
    start: r.start,
    length: r.end - r.start + 1,
    before: Buffer.from(`${i ? '\r\n' : ''}--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`, 'latin1'),
  }));
  const after = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  const length = parts.reduce((n, p) => n + p.before.byteLength + p.length, after.byteLength);
  return { contentType: `multipart/byteranges; boundary=${boundary}`, length, parts, after };
}
