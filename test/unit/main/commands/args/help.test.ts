// The help text is written from the command definitions.
import { describe, expect, it } from 'vitest';
import { commandHelp, generalHelp, wrapWords } from '../../../../../src/main/commands/args/help.ts';
import { optionTitle } from '../../../../../src/main/commands/args/option-spec.ts';
import { caFileOption, clipboardOption } from '../../../../../src/main/commands/args/shared-options.ts';
import { doActions } from '../../../../../src/main/commands/do/action-table.ts';
import { commands, commandTable } from '../../../../../src/main/commands/table.ts';

describe('spicedesk --help', () => {
  const text = generalHelp(commands);

  it('lists every command with its synopsis', () => {
    for (const c of commands) expect(text).toContain(`  ${c.name} ${c.synopsis.split('\n')[0]}`);
  });

  it('describes each shared option once, under the commands that take it', () => {
    expect(text.split(`  ${optionTitle(caFileOption)}\n`)).toHaveLength(2);
    expect(text).toMatch(/options of capture, info, do, open, serve, console:\n(.*\n)*  --spice-ca-file FILE\n\s+also trust the CA certificates/);
    expect(text).toMatch(/options of open, serve:\n(.*\n)*  --clipboard both\|to-guest\|from-guest\|none\n/);
    expect(text).toMatch(/--monitor-mapping MAP\n\s+which client monitor shows which guest head/);
  });

  it('lists every do action, and what --reconnect repeats', () => {
    for (const a of doActions.values()) expect(text).toContain(`        ${a.synopsis}`);
    expect(text).toMatch(/An interrupted .*wait.* is repeated; an interrupted type,/s);
  });

  it('ends with the options of every command and the exit codes', () => {
    expect(text).toMatch(/options for every command:\n  -v, --verbose .*\n  --debug .*\n  -h, --help .*\n  --version /);
    expect(text).toMatch(/exit codes: 0 ok.*\n.*\n9 an agent action failed/);
  });
});

describe('spicedesk <command> --help', () => {
  it('gives the synopsis and every option of the command with what it does', () => {
    const serve = commandTable.get('serve')!;
    const text = commandHelp(serve);
    expect(text.startsWith(`usage: spicedesk serve ${serve.synopsis}`)).toBe(true);
    for (const spec of Object.values(serve.options)) expect(text).toContain(`  ${optionTitle(spec)}\n      ${spec.help.split('\n')[0]}`);
    expect(text).toContain(`  ${optionTitle(clipboardOption)}`);
  });

  it('puts later synopsis lines under the first word', () => {
    const text = commandHelp(commandTable.get('capture')!);
    const [first, second] = text.split('\n');
    expect(first).toMatch(/^usage: spicedesk capture TARGET -o FILE\.png/);
    expect(second).toMatch(/^ {25}\[--compression /);
  });
});

describe('wrapWords', () => {
  it('wraps at the width, never splitting a word', () => {
    expect(wrapWords('aa bb cc dd', 5)).toBe('aa bb\ncc dd');
    expect(wrapWords('a verylongword b', 4)).toBe('a\nverylongword\nb');
  });
});
