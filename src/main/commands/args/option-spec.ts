// How a command of the `spicedesk` command line is defined: its options, its operands (the words
// that are not options), its usage text and what it runs. One definition per command, in
// commands/table.ts; the parser (parse-command-line.ts) and the help (help.ts) read only these.
import type { Logger } from '../../../protocol/logger.ts';
import { SpiceError } from '../../../protocol/wire/errors.ts';

/** A switch without a value, such as --json; false when not given. */
export interface FlagSpec {
  readonly kind: 'flag';
  /** The long name without its dashes. */
  readonly long: string;
  /** One letter, for -x. */
  readonly short?: string;
  /** What it does: one or more lines, wrapped by hand at about 90 columns. */
  readonly help: string;
}

/** An option with a value, such as --timeout SECONDS, checked and converted as it is read. */
export interface ValueSpec<T> {
  readonly kind: 'value';
  readonly long: string;
  readonly short?: string;
  /** The value's placeholder in usage text: FILE, N, both|to-guest|from-guest|none. */
  readonly valueName: string;
  /** The end of "--NAME needs ..." when the value is missing. */
  readonly needs: string;
  readonly help: string;
  /** Given twice is a usage error (instead of the last one winning). */
  readonly once?: boolean;
  /** Given again: how the new value joins the earlier ones (--spice-share-cd A --spice-share-cd B); else the last one wins. */
  repeat?(earlier: T, next: T): T;
  /** Its value may start with "-" (usbredirfilter rules "-1,-1,..."): the next word is the value, whatever it looks like. */
  readonly dashValue?: boolean;
  /** The value when the option is not given. */
  readonly absent: T;
  /** Checks and converts the text; throws a usage SpiceError that names the option. */
  parse(raw: string): T;
}

export type OptionSpec = FlagSpec | ValueSpec<unknown>;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed options of a command: a flag's boolean, or a value option's converted value. */
export type OptionValues<O extends OptionSpecs> = { -readonly [K in keyof O]: O[K] extends ValueSpec<infer T> ? T : boolean };

/** Reads the words after the current one; an operand reader may take the words it owns. */
export interface WordCursor {
  /** The next word without taking it; undefined at the end. */
  peek(): string | undefined;
  /** Takes the next word; undefined at the end. */
  next(): string | undefined;
}

/**
 * Turns the words that are not options into the command's operands. The parser hands it each
 * such word; it may take the words that follow (they are then never read as options, so `do`'s
 * `type --debug` types "--debug"). finish() checks the count and gives the result.
 */
export interface OperandReader<P> {
  take(word: string, more: WordCursor): void;
  finish(): P;
}

/** What a running command may use besides its arguments. */
export interface CommandContext {
  /** One warning line on stderr ("spicedesk: warning: ..."). */
  warn(line: string): void;
  /** Standard output, as given. */
  out(text: string): void;
  /** One line on stderr saying why the command failed ("spicedesk: ..."). */
  fail(line: string): void;
  /** The logger that -v and --debug asked for (pino is loaded only then). */
  logger(): Promise<Logger>;
}

/** The options every command takes, whatever its definition says (shared-options.ts). */
export interface EveryCommandValues {
  verbose: boolean;
  debug: boolean;
  help: boolean;
}

export interface CommandInput<O extends OptionSpecs, P> {
  values: OptionValues<O> & EveryCommandValues;
  operands: P;
}

export interface CommandDefinition<O extends OptionSpecs = OptionSpecs, P = unknown> {
  readonly name: string;
  /** Usage after the name: "TARGET -o FILE.png [--display N]"; a newline continues it. */
  readonly synopsis: string;
  /** What it does, in lines wrapped by hand. */
  readonly summary: string;
  /** Its options besides those of every command (-v, --debug, -h). */
  readonly options: O;
  /** A fresh reader of the operands, one per parse. */
  operands(): OperandReader<P>;
  /** Checks that involve several options, after parsing (skipped with --help). */
  check?(input: CommandInput<O, P>): void;
  /** Runs it; the exit code. Errors are SpiceErrors, mapped to exit codes by the CLI. */
  run(input: CommandInput<O, P>, context: CommandContext): Promise<number>;
}

/** Infers a definition's option and operand types (the table holds them as CommandDefinition). */
export function defineCommand<O extends OptionSpecs, P>(definition: CommandDefinition<O, P>): CommandDefinition<O, P> {
  return definition;
}

export function flag(o: Omit<FlagSpec, 'kind'>): FlagSpec {
  return { kind: 'flag', ...o };
}

export function valueOption<T>(o: Omit<ValueSpec<T>, 'kind'>): ValueSpec<T> {
  return { kind: 'value', ...o };
}

/** The option as usage text writes it: "-o, --output FILE.png". */
export function optionTitle(spec: OptionSpec): string {
  const short = spec.short ? `-${spec.short}, ` : '';
  return `${short}--${spec.long}${spec.kind === 'value' ? ` ${spec.valueName}` : ''}`;
}

export function usageError(message: string): SpiceError {
  return new SpiceError('usage', message);
}

/**
 * A whole number from `min` to `max`, multiplied by `scale` (1000 for seconds given, milliseconds
 * used). Below `min` says "at least", naming the unit when there is one.
 */
export function wholeNumberOption<A extends number | undefined>(o: {
  long: string;
  valueName: string;
  min: number;
  max: number;
  /** The value when not given (undefined: the command tells given from not). */
  absent: A;
  help: string;
  scale?: number;
  unit?: string;
}): ValueSpec<number | A> {
  const scale = o.scale ?? 1;
  return valueOption<number | A>({
    long: o.long,
    valueName: o.valueName,
    needs: `a whole number from ${o.min} to ${o.max}`,
    absent: o.absent,
    help: o.help,
    parse(raw) {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n > o.max) throw usageError(`--${o.long} must be a whole number from ${o.min} to ${o.max}, got "${raw}"`);
      if (n < o.min) throw usageError(`--${o.long} must be at least ${o.min}${o.unit ? ` ${o.unit}${o.min === 1 ? '' : 's'}` : ''}, got "${raw}"`);
      return n * scale;
    },
  });
}
