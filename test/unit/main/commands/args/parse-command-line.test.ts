// The one command-line parser: options by their definitions, operands by the command's reader.
import { describe, expect, it } from 'vitest';
import { defineCommand, flag, valueOption, wholeNumberOption, type OperandReader } from '../../../../../src/main/commands/args/option-spec.ts';
import { parseCommandLine } from '../../../../../src/main/commands/args/parse-command-line.ts';
import { oneTarget, optionalTarget } from '../../../../../src/main/commands/args/shared-options.ts';

/** Operands as they came, plus words a "pair" operand takes with it. */
function wordsReader(): OperandReader<string[]> {
  const words: string[] = [];
  return {
    take(word, more) {
      words.push(word);
      if (word === 'pair') words.push(more.next() ?? '(end)');
    },
    finish: () => words,
  };
}

const sample = defineCommand({
  name: 'sample',
  synopsis: 'WORD...',
  summary: 'a command for these tests',
  options: {
    output: valueOption<string | undefined>({ long: 'output', short: 'o', valueName: 'FILE', needs: 'a FILE', absent: undefined, help: 'out', parse: (raw) => raw }),
    count: wholeNumberOption({ long: 'count', valueName: 'N', min: 1, max: 9, absent: 3, help: 'how many', unit: 'time' }),
    only: valueOption<string | undefined>({ long: 'only', valueName: 'X', needs: 'an X', once: true, absent: undefined, help: 'once', parse: (raw) => raw }),
    json: flag({ long: 'json', short: 'j', help: 'json' }),
    add: valueOption<readonly string[]>({ long: 'add', valueName: 'X', needs: 'an X', absent: [], help: 'again and again', parse: (raw) => [raw], repeat: (earlier, next) => [...earlier, ...next] }),
  },
  operands: wordsReader,
  run: async () => 0,
});

function parse(args: string[]) {
  const r = parseCommandLine(sample, args);
  if (r.help) throw new Error('help asked for');
  return r.input;
}

describe('parseCommandLine', () => {
  it('joins a repeated option\'s values when its spec says how (--spice-share-cd A --spice-share-cd B); the last one wins otherwise', () => {
    expect(parse(['--add', 'a', '--add=b', 'w', '--add', 'c']).values.add).toEqual(['a', 'b', 'c']);
    expect(parse(['w']).values.add).toEqual([]);
    expect(parse(['-o', 'x', '-o', 'y', 'w']).values.output).toBe('y');
  });

  it('gives defaults when nothing is given, every command option included', () => {
    expect(parse([]).values).toEqual({ verbose: false, debug: false, help: false, output: undefined, count: 3, only: undefined, json: false, add: [] });
  });

  it('reads long, inline, short and grouped options anywhere between operands', () => {
    const input = parse(['a', '--output', 'x.png', 'b', '--count=4', '-vj', 'c', '-oy.png']);
    expect(input.operands).toEqual(['a', 'b', 'c']);
    expect(input.values).toMatchObject({ output: 'y.png', count: 4, verbose: true, json: true });
    expect(parse(['-jo', 'z']).values).toMatchObject({ json: true, output: 'z' });
  });

  it('ends options at --, and takes - as an operand', () => {
    expect(parse(['-', '--', '--json', '-v']).operands).toEqual(['-', '--json', '-v']);
  });

  it('never reads a word an operand took as an option', () => {
    const input = parse(['pair', '--json', 'x']);
    expect(input.operands).toEqual(['pair', '--json', 'x']);
    expect(input.values.json).toBe(false);
  });

  it('names each mistake', () => {
    const bad: [string[], RegExp][] = [
      [['--bogus'], /^unknown option "--bogus" for sample; run spicedesk sample --help$/],
      [['-x'], /^unknown option "-x" for sample/],
      [['--output'], /^--output needs a FILE$/],
      [['--output', '-v'], /^--output needs a FILE$/],
      [['--json=yes'], /^--json takes no value, got "yes"$/],
      [['--count', 'ten'], /^--count must be a whole number from 1 to 9, got "ten"$/],
      [['--count', '0'], /^--count must be at least 1 time, got "0"$/],
      [['--only', 'a', '--only=b'], /^--only was given more than once$/],
    ];
    for (const [args, message] of bad) {
      expect(() => parse(args), args.join(' ')).toThrow(message);
      try {
        parse(args);
      } catch (e) {
        expect((e as { kind: string }).kind).toBe('usage');
      }
    }
  });

  it('lets the last of a repeated option win unless it is given once only', () => {
    expect(parse(['--count', '2', '--count', '5']).values.count).toBe(5);
  });

  it('stops at -h or --help, whatever is missing', () => {
    expect(parseCommandLine(sample, ['a', '-h', '--bogus'])).toEqual({ help: true });
    const capture = defineCommand({ name: 'capture', synopsis: 'TARGET', summary: '', options: {}, operands: () => oneTarget('capture'), run: async () => 0 });
    expect(parseCommandLine(capture, ['--help'])).toEqual({ help: true });
    expect(() => parseCommandLine(capture, [])).toThrow('capture needs a TARGET (a spice:// URI, a .vv file or -)');
    expect(() => parseCommandLine(capture, ['a', 'b'])).toThrow('capture takes one TARGET, got 2: a b');
    const demo = defineCommand({ name: 'demo', synopsis: '[TARGET]', summary: '', options: {}, operands: () => optionalTarget('demo'), run: async () => 0 });
    expect(() => parseCommandLine(demo, ['a', 'b'])).toThrow('demo takes at most one TARGET, got 2');
  });

  it('runs the command\'s own check after parsing, not with --help', () => {
    const checked = defineCommand({
      ...sample,
      check: ({ values }) => {
        if (values.only !== undefined && !values.json) throw new Error('--only needs --json');
      },
    });
    expect(() => parseCommandLine(checked, ['--only', 'a'])).toThrow('--only needs --json');
    expect(parseCommandLine(checked, ['--only', 'a', '--help'])).toEqual({ help: true });
  });
});
