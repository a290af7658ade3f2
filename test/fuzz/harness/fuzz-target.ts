// What the fuzzer knows about one parser: its seeds, how its inputs are shaped (so the mutator
// can keep most of the structure), how to run it, and which failure is the documented one.
// A new parser is one entry in targets/target-table.ts plus its seeds.
import { isSpiceError } from '../../../src/protocol/wire/errors.ts';

/**
 * How an input is shaped:
 * - `bytes`: any bytes (an image, a link reply, a bridge message);
 * - `messages`: server-to-client messages of one channel, each with a mini header (u16 type,
 *   u32 size, body), as recorded after the link: mutated mostly one message at a time, so that
 *   the framing holds and the mutation reaches the message parsers;
 * - `text`: UTF-8 text (a .vv file, a URI), mutated with the target's dictionary as well.
 */
export type InputShape = 'bytes' | 'messages' | 'text';

export interface FuzzTarget {
  /** Short name, used by `--target` and in fixture file names (letters, digits and dashes). */
  name: string;
  /** What it feeds the bytes to, in a few words. */
  what: string;
  shape: InputShape;
  /** Seed inputs: recorded traffic and structure-aware cases. Each must run without a finding. */
  seeds(): Uint8Array[];
  /** Tokens the mutator inserts (keys, markers, numbers that mean something to this parser). */
  dictionary?: readonly string[];
  /** Parses (and applies) one input; resolves or throws. */
  run(input: Uint8Array): void | Promise<void>;
  /**
   * True when a thrown value is the documented failure. Most parsers throw the project's
   * SpiceError (or a ProtocolError); a few outside src/protocol have their own error class.
   */
  expected?(error: unknown): boolean;
  /** Mutated cases per seed round in `npm test` (the fixed set), sized to keep the file near a minute. */
  quickCases: number;
  /**
   * Longest one input may take, when the parser has a documented wait longer than the default
   * bound (run-case.ts defaultLimits).
   */
  timeMs?: number;
  /** Inputs are cut to this many bytes (the parser's own limit, or what makes sense to fuzz). */
  maxBytes?: number;
}

export function isExpectedFailure(target: FuzzTarget, error: unknown): boolean {
  return target.expected ? target.expected(error) : isSpiceError(error);
}
