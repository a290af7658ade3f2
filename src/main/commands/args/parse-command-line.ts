// The one parser of the command line: options by their definitions (--name VALUE, --name=VALUE,
// -x VALUE, -xVALUE, -vk for flags, `--` ends the options), every other word to the command's
// operand reader. Options may come anywhere between operands, as node's parseArgs allows; a word an
// operand reader took is never an option. Each mistake is a usage SpiceError naming the option.
import type { CommandDefinition, CommandInput, OptionSpec, OptionSpecs, WordCursor } from './option-spec.ts';
import { usageError } from './option-spec.ts';
import { everyCommandOptions } from './shared-options.ts';

export type ParsedCommandLine<O extends OptionSpecs, P> = { help: true } | { help: false; input: CommandInput<O, P> };

/** "-x" or "--x", not "-" alone (standard input) nor a plain word. */
function isOptionLike(word: string): boolean {
  return word.length > 1 && word.startsWith('-');
}

export function parseCommandLine<O extends OptionSpecs, P>(command: CommandDefinition<O, P>, args: readonly string[]): ParsedCommandLine<O, P> {
  const specs = new Map<string, OptionSpec>([...Object.entries(everyCommandOptions), ...Object.entries(command.options)]);
  const byLong = new Map<string, string>();
  const byShort = new Map<string, string>();
  for (const [key, spec] of specs) {
    byLong.set(spec.long, key);
    if (spec.short) byShort.set(spec.short, key);
  }
  const values = new Map<string, unknown>();
  const reader = command.operands();
  let i = 0;
  const cursor: WordCursor = {
    peek: () => args[i],
    next: () => (i < args.length ? args[i++] : undefined),
  };
  const unknown = (written: string) => usageError(`unknown option "${written}" for ${command.name}; run spicedesk ${command.name} --help`);

  /** Sets an option; `inline` is the value written in the same word (--x=V, -xV). */
  const give = (key: string, inline: string | undefined): void => {
    const spec = specs.get(key)!;
    if (spec.kind === 'flag') {
      if (inline !== undefined) throw usageError(`--${spec.long} takes no value, got "${inline}"`);
      values.set(key, true);
      return;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = args[i];
      if (next === undefined || (isOptionLike(next) && !spec.dashValue)) throw usageError(`--${spec.long} needs ${spec.needs}`);
      raw = next;
      i++;
    }
    if (spec.once && values.has(key)) throw usageError(`--${spec.long} was given more than once`);
    const value = spec.parse(raw);
    values.set(key, spec.repeat && values.has(key) ? spec.repeat(values.get(key), value) : value);
  };

  let optionsEnded = false;
  while (i < args.length) {
    const word = args[i++];
    if (!optionsEnded && word === '--') {
      optionsEnded = true;
      continue;
    }
    if (optionsEnded || !isOptionLike(word)) {
      reader.take(word, cursor);
      continue;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      const key = byLong.get(name);
      if (key === undefined) throw unknown(`--${name}`);
      give(key, eq < 0 ? undefined : word.slice(eq + 1));
    } else {
      // A group of short options: flags, of which the last may be a value option; a value option
      // earlier in the group takes the rest of the word as its value (-ofile.png).
      const letters = word.slice(1);
      for (let j = 0; j < letters.length; j++) {
        const key = byShort.get(letters[j]);
        if (key === undefined) throw unknown(`-${letters[j]}`);
        const rest = letters.slice(j + 1);
        if (specs.get(key)!.kind === 'value' && rest !== '') {
          give(key, rest);
          break;
        }
        give(key, undefined);
      }
    }
    // Help asked for: nothing else matters (a missing TARGET included).
    if (values.get('help') === true) return { help: true };
  }
  const parsed: Record<string, unknown> = {};
  for (const [key, spec] of specs) parsed[key] = values.has(key) ? values.get(key) : spec.kind === 'flag' ? false : spec.absent;
  const input = { values: parsed, operands: reader.finish() } as CommandInput<O, P>;
  command.check?.(input);
  return { help: false, input };
}
