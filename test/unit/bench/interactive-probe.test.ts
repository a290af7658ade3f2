import { describe, expect, it } from 'vitest';
import { parsePssKiB } from '../../bench/interactive/clients.ts';
import { answerNumbers, parseFound, parseReaction, parseWaitFound, parseWatch, reactionMs } from '../../bench/interactive/probe.ts';

describe("x-probe's answers", () => {
  it('reads a found box', () => {
    expect(parseFound('found 10 20 30 40 1200\n')).toEqual({ x: 10, y: 20, w: 30, h: 40, count: 1200 });
  });

  it('turns an "error" answer into an error with its text', () => {
    expect(() => parseFound('error find takes RRGGBB TOL')).toThrow('x-probe: find takes RRGGBB TOL');
  });

  it('refuses an answer to another command, a wrong count of numbers, or a field that is not an integer', () => {
    expect(() => parseFound('key 1 2 3')).toThrow(/"found \.\.\." was expected/);
    expect(() => parseFound('found 1 2 3 4')).toThrow(/4 numbers, expected 5/);
    expect(() => parseFound('found 1 2 3 4 x')).toThrow(/not an integer/);
    expect(() => answerNumbers('watch 1 2', 'watch', 'at least', 3)).toThrow(/at least 3/);
  });

  it('reads a key reaction and its latency in ms', () => {
    const r = parseReaction('key 1000000 1004500 12', 'key');
    expect(r).toEqual({ pressedUs: 1000000, changedUs: 1004500, polls: 12 });
    expect(reactionMs(r)).toBe(4.5);
  });

  it('reads a timeout as a press without a change', () => {
    const r = parseReaction('timeout 1000000 40', 'click');
    expect(r).toEqual({ pressedUs: 1000000, timedOut: true, polls: 40 });
    expect(reactionMs(r)).toBeUndefined();
  });

  it('refuses a change before its press', () => {
    expect(() => parseReaction('click 2000 1000 3', 'click')).toThrow(/before the press/);
  });

  it('reads waitfind answers, found and timed out', () => {
    expect(parseWaitFound('waitfound 77 1 2 3 4 5')).toEqual({ atUs: 77, found: { x: 1, y: 2, w: 3, h: 4, count: 5 } });
    expect(parseWaitFound('timeout 88 3')).toEqual({ timedOutUs: 88, count: 3 });
  });

  it('reads a watch with one count per rectangle', () => {
    expect(parseWatch('watch 100 30000100 9000 740 1700', 2)).toEqual({ startUs: 100, endUs: 30000100, polls: 9000, changes: [740, 1700] });
    expect(() => parseWatch('watch 100 200 5 1', 2)).toThrow(/expected 5/);
    expect(() => parseWatch('watch 200 100 5 1', 1)).toThrow(/ended before it started/);
  });
});

describe('parsePssKiB', () => {
  it('reads the Pss line of smaps_rollup', () => {
    expect(parsePssKiB('55d0-7ffe ---p 00000000 00:00 0 [rollup]\nRss:              107000 kB\nPss:               69120 kB\nPss_Anon: 1 kB\n')).toBe(69120);
  });

  it('names a file without one', () => {
    expect(() => parsePssKiB('Rss: 1 kB\n')).toThrow(/no "Pss: N kB" line/);
  });
});
