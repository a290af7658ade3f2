// A GET's Range header (RFC 9110 14.1-14.2), for a guest reading part of a shared file: GVFS's
// WebDAV backend reads from where an application seeks (a video player jumping about a large
// file); without ranges each such read would send the whole file again. One range is
// served (206); several are answered with the whole file (200), which the RFC allows, as is a
// header this parser does not understand: a Range is a hint, never a reason to fail a GET.

/** The bytes [start, end] of the file (end included). */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a GET does with its Range header: the whole file, one range, or 416. */
export type RangeAnswer = { kind: 'whole' } | { kind: 'part'; range: ByteRange } | { kind: 'unsatisfiable' };

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
  if (specs.length !== 1) return WHOLE;
  const dash = specs[0].indexOf('-');
  if (dash < 0) return WHOLE;
  const first = specs[0].slice(0, dash).trim();
  const last = specs[0].slice(dash + 1).trim();
  if (first === '') {
    // The last N bytes.
    if (!DIGITS.test(last)) return WHOLE;
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', range: { start: Math.max(0, size - n), end: size - 1 } };
  }
  if (!DIGITS.test(first) || (last !== '' && !DIGITS.test(last))) return WHOLE;
  const start = Number(first);
  // A range that ends before it starts is not a range: ignored, as the RFC says.
  if (last !== '' && Number(last) < start) return WHOLE;
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'part', range: { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) } };
}
