import { describe, expect, it } from 'vitest';
import { guard, parseBaseline, percentile, ratioOf, summariseLatencies } from '../../bench/interactive/stats.ts';

describe('percentile (nearest rank)', () => {
  it('returns a measured value: the median of 1..4 is 2, p95 of 1..100 is 95, p99 of 1..100 is 99', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 0)).toBe(1);
  });

  it('skips non-finite values and gives NaN for none', () => {
    expect(percentile([NaN, 5, Infinity], 50)).toBe(5);
    expect(percentile([], 50)).toBeNaN();
  });

  it('refuses a p outside 0..100', () => {
    expect(() => percentile([1], 101)).toThrow(/0 to 100/);
    expect(() => percentile([1], NaN)).toThrow(/0 to 100/);
  });
});

describe('summariseLatencies', () => {
  it('counts the presses whose change never came as missed, outside the percentiles', () => {
    const s = summariseLatencies([3, undefined, 1, 2, undefined]);
    expect(s).toEqual({ count: 3, missed: 2, medianMs: 2, p95Ms: 3, p99Ms: 3, maxMs: 3 });
  });

  it('has NaN figures when nothing was seen', () => {
    const s = summariseLatencies([undefined]);
    expect(s.count).toBe(0);
    expect(s.missed).toBe(1);
    expect(s.medianMs).toBeNaN();
    expect(s.maxMs).toBeNaN();
  });
});

describe('ratioOf', () => {
  it("measures the noise as the largest relative distance of a round's ratio from the whole run's", () => {
    expect(ratioOf('x', 1, [0.9, 1.2]).noise).toBeCloseTo(0.2, 10);
    expect(ratioOf('x', 2, [2, 2]).noise).toBe(0);
  });

  it('has no noise from one round (nothing to compare)', () => {
    expect(ratioOf('x', 1, [0.5]).noise).toBe(0);
  });
});

describe('guard', () => {
  it('says regressed only when the ratio worsened by more than the measured noise', () => {
    const ratios = [ratioOf('worse', 1.3, [1.2, 1.4]), ratioOf('within', 1.05, [0.95, 1.15]), ratioOf('better', 0.5, [0.5, 0.5]), ratioOf('unrecorded', 1, [1, 1])];
    const lines = guard(ratios, { worse: 1.0, within: 1.0, better: 1.0 });
    expect(lines.map((l) => [l.name, l.verdict])).toEqual([
      ['worse', 'regressed'], // +30 % against noise 7.7 %
      ['within', 'steady'], // +5 % against noise 9.5 %
      ['better', 'improved'],
      ['unrecorded', 'new'],
    ]);
    expect(lines[0]!.baseline).toBe(1.0);
  });

  it('judges nothing from one round, which measures no noise', () => {
    expect(guard([ratioOf('r', 3, [3])], { r: 1 })[0]!.verdict).toBe('one round');
  });

  it('applies the noise floor when the rounds happened to agree', () => {
    expect(guard([ratioOf('r', 1.04, [1.04, 1.04])], { r: 1 }, 0.05)[0]!.verdict).toBe('steady');
    expect(guard([ratioOf('r', 1.06, [1.06, 1.06])], { r: 1 }, 0.05)[0]!.verdict).toBe('regressed');
  });
});

describe('parseBaseline', () => {
  it('reads a recorded file', () => {
    const b = parseBaseline(JSON.stringify({ date: '2026-12-06', machine: 'dev VM', ratios: { 'key median / remote-viewer': 0.8 } }));
    expect(b.ratios['key median / remote-viewer']).toBe(0.8);
  });

  it('names what is wrong with a hand-edited file', () => {
    expect(() => parseBaseline('{')).toThrow(/not JSON/);
    expect(() => parseBaseline('{"date":"d","ratios":{}}')).toThrow(/"machine"/);
    expect(() => parseBaseline('{"date":"d","machine":"m","ratios":{"a":"1"}}')).toThrow(/ratio "a" is not a positive number/);
    expect(() => parseBaseline('{"date":"d","machine":"m","ratios":{"a":0}}')).toThrow(/ratio "a"/);
  });
});
