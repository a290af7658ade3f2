import { describe, expect, it } from 'vitest';
import { parseDoArgs } from '../../../../../src/main/commands/do/do-command.ts';
import { parseHeadSizes } from '../../../../../src/main/commands/do/agent-actions.ts';

describe('do agent actions', () => {
  it('parses clip-set, clip-get, resize and send with the files up to the next action', () => {
    const line = parseDoArgs(['spice://h:1', 'clip-set', '-not an option', 'clip-get', 'resize', '1280x720,800x600', 'send', 'a.txt', 'b c.bin', 'wait', '1']);
    expect(line.actions.map((a) => [a.name, a.args])).toEqual([
      ['clip-set', { text: '-not an option' }],
      ['clip-get', {}],
      ['resize', { heads: [{ width: 1280, height: 720 }, { width: 800, height: 600 }] }],
      ['send', { files: ['a.txt', 'b c.bin'] }],
      ['wait', { ms: 1000 }],
    ]);
  });

  it('rejects bad sizes and a send without files, naming the problem', () => {
    expect(() => parseDoArgs(['t', 'resize', '1280*720'])).toThrow(/head 0 "1280\*720" must be WIDTHxHEIGHT/);
    expect(() => parseHeadSizes('0x10')).toThrow(/each from 1 to 16384/);
    expect(() => parseHeadSizes('1x1,1x1,1x1,1x1,1x1')).toThrow(/at most 4 heads/);
    expect(() => parseDoArgs(['t', 'send', 'wait', '1'])).toThrow(/send needs at least one FILE/);
    expect(() => parseDoArgs(['t', 'clip-set'])).toThrow(/clip-set needs the TEXT/);
  });
});
