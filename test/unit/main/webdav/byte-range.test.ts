import { describe, expect, it } from 'vitest';
import { answerRange } from '../../../../src/main/webdav/byte-range.ts';

const part = (start: number, end: number) => ({ kind: 'part', range: { start, end } });
const whole = { kind: 'whole' };
const unsatisfiable = { kind: 'unsatisfiable' };

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

  it('sends the whole file for no header, another unit, several ranges, or what it cannot read', () => {
    for (const header of [undefined, 'items=0-5', 'bytes=0-5,10-20', 'bytes=5-1', 'bytes=abc', 'bytes=-', 'bytes=1-2-3', 'bytes=0x10-20', 'bytes=99999999999999999-', 'bytes=', '0-5']) {
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
