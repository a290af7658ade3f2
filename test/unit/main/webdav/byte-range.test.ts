import { describe, expect, it } from 'vitest';
import { answerRange, JOIN_GAP_BYTES, MAX_RANGES, multipartByteranges } from '../../../../src/main/webdav/byte-range.ts';
import { parseByteranges } from '../../../helpers/byteranges.ts';

const part = (start: number, end: number) => ({ kind: 'part', range: { start, end } });
const whole = { kind: 'whole' };
const unsatisfiable = { kind: 'unsatisfiable' };
const parts = (...ranges: [number, number][]) => ({ kind: 'parts', ranges: ranges.map(([start, end]) => ({ start, end })) });

describe('a GET\'s Range header', () => {
  it('serves one range: first-last, first-, and the last N bytes, clamped to the file', () => {
    expect(answerRange('bytes=0-99', 1000)).toEqual(part(0, 99));
    expect(answerRange('bytes=100-', 1000)).toEqual(part(100, 999));
    expect(answerRange('bytes=900-5000', 1000)).toEqual(part(900, 999));
    expect(answerRange('bytes=-100', 1000)).toEqual(part(900, 999));
    expect(answerRange('bytes=-5000', 1000)).toEqual(part(0, 999));
    expect(answerRange('bytes=999-999', 1000)).toEqual(part(999, 999));
    expect(answerRange(' Bytes = 5 - 9 ', 1000)).toEqual(part(5, 9));
  });

  it('says 416 for a range that starts past the end, a zero suffix, or any range of an empty file', () => {
    expect(answerRange('bytes=1000-', 1000)).toEqual(unsatisfiable);
    expect(answerRange('bytes=2000-3000', 1000)).toEqual(unsatisfiable);
    expect(answerRange('bytes=-0', 1000)).toEqual(unsatisfiable);
    expect(answerRange('bytes=0-', 0)).toEqual(unsatisfiable);
    expect(answerRange('bytes=-10', 0)).toEqual(unsatisfiable);
  });

  it('serves several ranges as parts in file order, joining those that overlap or nearly touch', () => {
    expect(answerRange('bytes=500-599,0-99', 1000)).toEqual(parts([0, 99], [500, 599]));
    expect(answerRange('bytes=0-9, 400-409 ,-10', 1000)).toEqual(parts([0, 9], [400, 409], [990, 999]));
    expect(answerRange('bytes=0-99,50-150', 1000)).toEqual(part(0, 150));
    expect(answerRange(`bytes=0-9,${10 + JOIN_GAP_BYTES}-${20 + JOIN_GAP_BYTES}`, 1000)).toEqual(part(0, 20 + JOIN_GAP_BYTES));
    expect(answerRange(`bytes=0-9,${11 + JOIN_GAP_BYTES}-${20 + JOIN_GAP_BYTES}`, 1000)).toEqual(parts([0, 9], [11 + JOIN_GAP_BYTES, 20 + JOIN_GAP_BYTES]));
    // A range past the end among others is left out; only when none is left is it a 416.
    expect(answerRange('bytes=0-9,2000-3000', 1000)).toEqual(part(0, 9));
    expect(answerRange('bytes=2000-,3000-3001', 1000)).toEqual(unsatisfiable);
  });

  it(`sends the whole file for more than ${MAX_RANGES} ranges (a way to make a server work)`, () => {
    const many = (n: number) => `bytes=${Array.from({ length: n }, (_, i) => `${i * 1000}-${i * 1000}`).join(',')}`;
    expect(answerRange(many(MAX_RANGES), 1e6)).toMatchObject({ kind: 'parts' });
    expect(answerRange(many(MAX_RANGES + 1), 1e6)).toEqual(whole);
  });

  it('writes a multipart reply whose length is exact and whose parts a client reads back', () => {
    const file = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    const ranges = [{ start: 0, end: 9 }, { start: 400, end: 409 }, { start: 990, end: 999 }];
    const reply = multipartByteranges(ranges, file.byteLength, 'b0undary');
    expect(reply.contentType).toBe('multipart/byteranges; boundary=b0undary');
    const body = Buffer.concat([...reply.parts.flatMap((p) => [p.before, file.subarray(p.start, p.start + p.length)]), reply.after]);
    expect(body.byteLength).toBe(reply.length);
    const firstHead = '--b0undary\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-9/1000\r\n\r\n';
    expect(body.toString('latin1', 0, firstHead.length + 10)).toBe(firstHead + file.toString('latin1', 0, 10));
    expect(body.toString('latin1', body.byteLength - 16)).toBe('\r\n--b0undary--\r\n');
    expect(parseByteranges(body, 'b0undary').map((p) => [p.start, p.end, p.size, p.bytes.equals(file.subarray(p.start, p.end + 1))])).toEqual([
      [0, 9, 1000, true],
      [400, 409, 1000, true],
      [990, 999, 1000, true],
    ]);
    // A fresh random boundary for every reply.
    expect(multipartByteranges(ranges, 1000).contentType).not.toBe(multipartByteranges(ranges, 1000).contentType);
  });

  it('sends the whole file for no header, another unit, or what it cannot read (one bad range spoils the header)', () => {
    for (const header of [undefined, 'items=0-5', 'bytes=0-5,x', 'bytes=0-5,7-3', 'bytes=5-1', 'bytes=abc', 'bytes=-', 'bytes=1-2-3', 'bytes=0x10-20', 'bytes=99999999999999999-', 'bytes=', '0-5']) {
      expect(answerRange(header, 1000), String(header)).toEqual(whole);
    }
  });

  it('sends the whole file when If-Range names another version than this one', () => {
    const now = { etag: '"1-3e8-5"', lastModified: 'Mon, 07 Dec 2026 05:00:00 GMT' };
    expect(answerRange('bytes=0-9', 1000, { ...now, value: '"1-3e8-5"' })).toEqual(part(0, 9));
    expect(answerRange('bytes=0-9', 1000, { ...now, value: 'Mon, 07 Dec 2026 05:00:00 GMT' })).toEqual(part(0, 9));
    expect(answerRange('bytes=0-9', 1000, { ...now, value: '"1-3e8-4"' })).toEqual(whole);
    expect(answerRange('bytes=0-9', 1000, { ...now, value: 'W/"1-3e8-5"' })).toEqual(whole);
    expect(answerRange('bytes=0-9', 1000, { ...now, value: 'Sun, 06 Dec 2026 05:00:00 GMT' })).toEqual(whole);
    expect(answerRange('bytes=0-9', 1000, { ...now, value: undefined })).toEqual(part(0, 9));
  });
});
