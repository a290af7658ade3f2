import { describe, expect, it } from 'vitest';
import { FLOOR_PREFIX, interactiveRatios, type SessionSample } from '../../bench/interactive-bench.ts';
import type { ClientName } from '../../bench/interactive/clients.ts';

/** A session whose every press took `ms`, its first frame `firstMs`, its live scene `cpu` s/s. */
function session(client: ClientName, round: number, ms: number, firstMs: number, cpu: number): SessionSample {
  const presses = Array.from({ length: 10 }, () => ms);
  return {
    client,
    round,
    firstFrameMs: firstMs,
    scale: 1,
    keyMs: presses,
    heldKeyMs: presses,
    clickMs: presses,
    live: { seconds: 30, cpuByPart: { all: cpu }, cpuPerSecond: cpu, xvfbCpuPerSecond: 0, moverFps: 25, scrollFps: 60, peakRssMiB: 100, peakPssMiB: 100, peakPssByPartMiB: {} },
  };
}

describe("the interactive bench's ratios", () => {
  it("sets Chromium's floor against remote-viewer beside spicedesk's own ratios, under names the baseline never records", () => {
    const samples = [session('spicedesk', 0, 6, 1200, 0.3), session('remote-viewer', 0, 2, 300, 0.4), session('chromium-floor', 0, 4, 900, 0.2)];
    const byName = new Map(interactiveRatios(samples).map((r) => [r.name, r.value]));
    expect(byName.get('key median / remote-viewer')).toBeCloseTo(3);
    expect(byName.get(`${FLOOR_PREFIX}key median / remote-viewer`)).toBeCloseTo(2);
    expect(byName.get(`${FLOOR_PREFIX}first frame / remote-viewer`)).toBeCloseTo(3);
    expect(byName.get(`${FLOOR_PREFIX}live CPU / remote-viewer`)).toBeCloseTo(0.5);
    // The floor is never a peer of spicedesk's ratios, nor compared with spice-html5.
    expect([...byName.keys()].filter((n) => n.includes('chromium-floor') && !n.startsWith(FLOOR_PREFIX))).toEqual([]);
  });

  it('gives no floor ratios in a run without the floor', () => {
    const names = interactiveRatios([session('spicedesk', 0, 6, 1200, 0.3), session('remote-viewer', 0, 2, 300, 0.4)]).map((r) => r.name);
    expect(names).toContain('key median / remote-viewer');
    expect(names.some((n) => n.startsWith(FLOOR_PREFIX))).toBe(false);
  });
});
