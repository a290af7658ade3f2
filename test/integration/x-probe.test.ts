// x-probe (test/bench/interactive/x-probe.c), the interactive bench's eye and hand, against a real
// Xvfb: it finds a colour, sees a click and a key change the screen (and nothing when nothing
// changes), counts a moving box's frames, and refuses malformed commands without dying. Nothing
// here is timed: the bench measures, this checks that what it measures is the right thing.
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXvfb } from '../bench/bench-peers.ts';
import { buildPrograms, reactionMs, XProbe, type BuiltPrograms } from '../bench/interactive/probe.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { requireTool } from '../peers/require-tool.ts';

const ROOT = resolve(import.meta.dirname, '../..');

describe('x-probe on an Xvfb', () => {
  let programs: BuiltPrograms;
  let xvfb: Awaited<ReturnType<typeof startXvfb>>;
  let probe: XProbe;
  const windows: GroupProcess[] = [];
  const run = (command: string, args: string[]): GroupProcess => {
    const p = spawnGroup(command, args, { env: { ...process.env, DISPLAY: xvfb.display }, name: command });
    windows.push(p);
    return p;
  };

  beforeAll(async () => {
    programs = await buildPrograms(join(ROOT, 'test/bench/interactive'));
    xvfb = await startXvfb();
    probe = (await XProbe.start(programs.probe, xvfb.display)).probe;
  });

  afterAll(async () => {
    probe?.close();
    for (const w of windows) await w.stop();
    await xvfb?.process.stop();
  });

  it('finds a square by its colour and sees each click swap it to the other colour', async () => {
    run(programs.targets, ['square', '100', '50', '40', 'e01090', 'f0a000']);
    const found = await probe.waitFind('e01090', 0, 1600, 10_000);
    expect('found' in found && found.found).toEqual({ x: 100, y: 50, w: 40, h: 40, count: 1600 });
    const watched = { x: 112, y: 62, w: 16, h: 16 };
    const first = await probe.click(120, 70, watched, 5000);
    expect(reactionMs(first)).toBeGreaterThanOrEqual(0);
    expect(await probe.find('f0a000', 0)).toEqual({ x: 100, y: 50, w: 40, h: 40, count: 1600 });
    expect(reactionMs(await probe.click(120, 70, watched, 5000))).toBeGreaterThanOrEqual(0);
    expect((await probe.find('e01090', 0)).count).toBe(1600);
  });

  it('reports a timeout, not a change, when the watched pixels stay as they are', async () => {
    const reaction = await probe.key('x', 0, { x: 600, y: 600, w: 10, h: 10 }, 50);
    expect('timedOut' in reaction).toBe(true);
    expect(reaction.polls).toBeGreaterThan(1);
  });

  it("sees a typed key's glyph in an xterm running glyph-echo, tapped and held", async () => {
    requireTool('xterm', 'xterm');
    run('xterm', ['-geometry', '4x1+300+300', '-fn', '10x20', '-fg', 'black', '-bg', '#10e060', '+sb', '-bw', '0', '-b', '4', '-e', programs.glyphEcho]);
    const found = await probe.waitFind('10e060', 0, 400, 10_000);
    if (!('found' in found)) throw new Error('the xterm did not show');
    const box = { x: found.found.x, y: found.found.y, w: found.found.w, h: found.found.h };
    expect(await probe.quiet(box, 300, 10_000)).toBe(true);
    expect(await probe.focus(box.x + 5, box.y + 5)).toBeGreaterThan(0);
    expect(reactionMs(await probe.key('x', 0, box, 5000))).toBeGreaterThanOrEqual(0);
    expect(reactionMs(await probe.key('o', 100, box, 5000))).toBeGreaterThanOrEqual(0);
    // The same glyph again changes nothing: what is measured is the glyph, not the key event.
    expect('timedOut' in (await probe.key('o', 0, box, 100))).toBe(true);
  });

  it("counts a moving box's frames, never more than it drew", async () => {
    run(programs.targets, ['mover', '0', '400', '300', '60', '402080', 'f0f0f0', '25']);
    await probe.waitFind('402080', 0, 1000, 10_000);
    // Watched a second at a time until the box moved (a loaded machine may stall the mover for a while).
    let seen = 0;
    for (let i = 0; i < 10 && seen === 0; i++) {
      const watched = await probe.watch(1000, [
        { x: 0, y: 400, w: 300, h: 60 },
        { x: 700, y: 700, w: 20, h: 20 },
      ]);
      const seconds = (watched.endUs - watched.startUs) / 1e6;
      expect(watched.changes[0]).toBeLessThanOrEqual(Math.ceil(seconds * 25) + 1);
      expect(watched.changes[1]).toBe(0);
      seen = watched.changes[0]!;
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('answers a malformed command with an error and keeps going', async () => {
    await expect(probe.find('zz', -1)).rejects.toThrow(/find takes RRGGBB TOL/);
    await expect(probe.watch(100, [{ x: 5000, y: 0, w: 10, h: 10 }])).rejects.toThrow(/not inside the screen/);
    expect(await probe.ask('bogus')).toBe('error unknown command bogus');
    expect((await probe.find('e01090', 0)).count + (await probe.find('f0a000', 0)).count).toBe(1600);
  });
});
