import { describe, expect, it } from 'vitest';
import { compareScreen, parseDoArgs } from '../../../../src/main/commands/do.ts';

describe('do: parsing actions', () => {
  it('parses every action with its arguments, in order', () => {
    const line = parseDoArgs([
      'spice://h:5900', 'type', '-v is text', 'key', 'ctrl+alt+delete', 'move', '200', '150', 'click', 'click', 'right', 'click', '3',
      'mousedown', 'mouseup', 'wheel-down', 'wait', '0.5', 'capture', 'a.png', 'expect', 'b.png', '--region', '1,2,3,4', '--timeout', '2.5',
      'keydown', 'shift', 'keyup', 'shift',
    ]);
    expect(line.target).toBe('spice://h:5900');
    expect(line.verbose).toBe(false);
    expect(line.actions.map((a) => a.kind)).toEqual(['type', 'key', 'move', 'click', 'click', 'click', 'mousedown', 'mouseup', 'wait', 'capture', 'expect', 'keydown', 'keyup']);
    expect(line.actions[0]).toEqual({ kind: 'type', text: '-v is text' });
    expect(line.actions[2]).toEqual({ kind: 'move', x: 200, y: 150 });
    expect(line.actions.slice(3, 8).map((a) => ('button' in a ? a.button : 0))).toEqual([1, 3, 3, 1, 5]);
    expect(line.actions[8]).toEqual({ kind: 'wait', ms: 500 });
    expect(line.actions[10]).toEqual({ kind: 'expect', file: 'b.png', region: { x: 1, y: 2, width: 3, height: 4 }, timeoutMs: 2500 });
  });

  it('takes global options before the target and between actions, but not inside them', () => {
    const line = parseDoArgs(['--timeout', '3', '-v', 'spice://h:1', 'wait', '1', '--debug', '--display', '1', 'type', '--debug']);
    expect(line.timeoutMs).toBe(3000);
    expect(line.verbose).toBe(true);
    expect(line.debug).toBe(true);
    expect(line.displayId).toBe(1);
    expect(line.actions.at(-1)).toEqual({ kind: 'type', text: '--debug' });
    expect(parseDoArgs(['-h']).help).toBe(true);
  });

  it('names the bad argument', () => {
    const bad: [string[], RegExp][] = [
      [[], /needs a TARGET/],
      [['t'], /at least one action/],
      [['--frobnicate', 't'], /unknown option "--frobnicate"/],
      [['t', 'type'], /type needs the TEXT/],
      [['t', 'key', 'alt+f4+x'], /key: "f4" in "alt\+f4\+x" is not a modifier/],
      [['t', 'move', '-1', '2'], /move X must be a whole number from 0 to 65535, got "-1"/],
      [['t', 'click', 'thumb'], /click: unknown button "thumb"/],
      [['t', 'wait', '1e3'], /wait must be a number of seconds/],
      [['t', 'capture'], /capture needs an output FILE.png/],
      [['t', 'expect', 'x.png', '--region', '1,2,3'], /--region must be X,Y,WIDTH,HEIGHT/],
      [['t', 'expect', 'x.png', '--region', '1,2,0,4'], /at least 1/],
      [['t', 'expect', 'x.png', '--timeout', '0'], /expect --timeout must be a number of seconds from 0.1/],
      [['t', 'jump'], /unknown action "jump"/],
      [['t', 'wait', '1', '--timeout', '0'], /--timeout must be at least 1 second/],
    ];
    for (const [args, message] of bad) expect(() => parseDoArgs(args), args.join(' ')).toThrow(message);
  });
});

describe('do: comparing the screen with a PNG', () => {
  const screen = { width: 4, height: 3, data: new Uint32Array(12).map((_, i) => 0xff000000 | (i * 0x010203)) };
  const pngOf = (width: number, height: number, pick: (x: number, y: number) => number) => {
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const w = pick(x, y);
        rgba.set([(w >> 16) & 0xff, (w >> 8) & 0xff, w & 0xff, 0x7f], (y * width + x) * 4);
      }
    }
    return { width, height, rgba };
  };
  const same = pngOf(4, 3, (x, y) => (y * 4 + x) * 0x010203);

  it('counts differing pixels over RGB only', () => {
    expect(compareScreen(screen, same)).toEqual({ differing: 0, total: 12 });
    const twoOff = pngOf(4, 3, (x, y) => (y * 4 + x) * 0x010203 ^ (x === 1 && y < 2 ? 0x000100 : 0));
    expect(compareScreen(screen, twoOff)).toEqual({ differing: 2, total: 12 });
  });

  it('compares a region against a PNG of the region or of the whole screen', () => {
    const region = { x: 1, y: 1, width: 2, height: 2 };
    const crop = pngOf(2, 2, (x, y) => ((y + 1) * 4 + x + 1) * 0x010203);
    expect(compareScreen(screen, crop, region)).toEqual({ differing: 0, total: 4 });
    expect(compareScreen(screen, same, region)).toEqual({ differing: 0, total: 4 });
    const wrongCrop = pngOf(2, 2, () => 0xffffff);
    expect(compareScreen(screen, wrongCrop, region)).toEqual({ differing: 4, total: 4 });
  });

  it('reports sizes that cannot be compared', () => {
    expect(compareScreen(screen, pngOf(3, 3, () => 0)).problem).toMatch(/screen is 4x3 and the PNG 3x3/);
    expect(compareScreen(screen, same, { x: 3, y: 0, width: 2, height: 1 }).problem).toMatch(/beyond the 4x3 screen/);
  });
});
