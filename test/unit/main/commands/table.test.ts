// Every command and every do action has a name of its own, and each option one spelling.
import { describe, expect, it } from 'vitest';
import { everyCommandOptions } from '../../../../src/main/commands/args/shared-options.ts';
import { actionsByName, doActionFamilies, doActions } from '../../../../src/main/commands/do/action-table.ts';
import { commands, commandsByName, commandTable } from '../../../../src/main/commands/table.ts';

describe('the command table', () => {
  it('has each command once, found by its name', () => {
    const names = commands.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...commandTable.keys()]).toEqual(names);
    expect(names).toEqual(['capture', 'info', 'demo', 'do', 'open', 'serve', 'console', 'usb']);
  });

  it('refuses two commands of one name', () => {
    expect(() => commandsByName([commands[0], { ...commands[1], name: commands[0].name }])).toThrow(/two commands are named capture/);
  });

  it('gives each option of a command its own long and short name', () => {
    for (const c of commands) {
      const specs = [...Object.values(everyCommandOptions), ...Object.values(c.options)];
      const longs = specs.map((s) => s.long);
      const shorts = specs.flatMap((s) => (s.short ? [s.short] : []));
      expect(new Set(longs).size, c.name).toBe(longs.length);
      expect(new Set(shorts).size, c.name).toBe(shorts.length);
    }
  });
});

describe('the do action table', () => {
  it('has each action once, in one family', () => {
    const names = doActionFamilies.flatMap((f) => f.actions.map((a) => a.name));
    expect(new Set(names).size).toBe(names.length);
    expect([...doActions.keys()]).toEqual(names);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z-]*$/);
  });

  it('refuses two actions of one name', () => {
    const [first] = doActionFamilies[0].actions;
    expect(() => actionsByName([{ title: 'a', actions: [first] }, { title: 'b', actions: [first] }])).toThrow(`two do actions are named ${first.name}`);
  });
});
