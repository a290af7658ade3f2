// The --reconnect options of `spicedesk do`.
import { describe, expect, it } from 'vitest';
import { parseDoArgs } from '../../../../../src/main/commands/do/do-command.ts';

describe('do --reconnect', () => {
  it('is off by default, with a 60 s budget', () => {
    const line = parseDoArgs(['spice://h:1', 'wait', '1']);
    expect(line.reconnect).toBe(false);
    expect(line.reconnectTimeoutMs).toBe(60_000);
  });

  it('turns on before the target or between actions, with its own budget', () => {
    expect(parseDoArgs(['--reconnect', 'spice://h:1', 'wait', '1']).reconnect).toBe(true);
    const line = parseDoArgs(['spice://h:1', 'wait', '1', '--reconnect', '--reconnect-timeout', '120', 'capture', 'x.png']);
    expect(line.reconnect).toBe(true);
    expect(line.reconnectTimeoutMs).toBe(120_000);
    expect(line.actions.map((a) => a.name)).toEqual(['wait', 'capture']);
  });

  it('is typed, not taken as an option, inside a type action', () => {
    const line = parseDoArgs(['spice://h:1', 'type', '--reconnect']);
    expect(line.reconnect).toBe(false);
    expect(line.actions.map((a) => [a.name, a.args])).toEqual([['type', { text: '--reconnect' }]]);
  });

  it('refuses a budget without --reconnect, or one that is not a whole number of seconds from 1', () => {
    expect(() => parseDoArgs(['--reconnect-timeout', '5', 'spice://h:1', 'wait', '1'])).toThrow('--reconnect-timeout needs --reconnect');
    expect(() => parseDoArgs(['--reconnect', '--reconnect-timeout', '0', 'spice://h:1', 'wait', '1'])).toThrow('at least 1 second');
    expect(() => parseDoArgs(['--reconnect', '--reconnect-timeout', '2.5', 'spice://h:1', 'wait', '1'])).toThrow('--reconnect-timeout must be a whole number');
  });
});
