import { describe, expect, it } from 'vitest';
import { parseDoArgs } from '../../../../../src/main/commands/do/do-command.ts';

describe('do: parsing actions', () => {
  it('parses every action with its arguments, in order', () => {
    const line = parseDoArgs([
      'spice://h:5900', 'type', '-v is text', 'key', 'ctrl+alt+delete', 'move', '200', '150', 'click', 'click', 'right', 'click', '3',
      'mousedown', 'mouseup', 'wheel-down', 'wait', '0.5', 'capture', 'a.png', 'expect', 'b.png', '--region', '1,2,3,4', '--timeout', '2.5',
      'keydown', 'shift', 'keyup', 'shift',
    ]);
    expect(line.target).toBe('spice://h:5900');
    expect(line.verbose).toBe(false);
    expect(line.actions.map((a) => a.name)).toEqual(['type', 'key', 'move', 'click', 'click', 'click', 'mousedown', 'mouseup', 'wait', 'capture', 'expect', 'keydown', 'keyup']);
    expect(line.actions[0].args).toEqual({ text: '-v is text' });
    expect(line.actions[2].args).toEqual({ x: 200, y: 150 });
    expect(line.actions.slice(3, 8).map((a) => a.args)).toEqual([1, 3, 3, 1, 5].map((button) => ({ button })));
    expect(line.actions[8].args).toEqual({ ms: 500 });
    expect(line.actions[10].args).toEqual({ file: 'b.png', region: { x: 1, y: 2, width: 3, height: 4 }, timeoutMs: 2500 });
  });

  it('takes global options before the target and between actions, but not inside them', () => {
    const line = parseDoArgs(['--timeout', '3', '-v', 'spice://h:1', 'wait', '1', '--debug', '--display', '1', 'type', '--debug']);
    expect(line.timeoutMs).toBe(3000);
    expect(line.verbose).toBe(true);
    expect(line.debug).toBe(true);
    expect(line.displayId).toBe(1);
    expect(line.actions.at(-1)).toMatchObject({ name: 'type', args: { text: '--debug' } });
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
