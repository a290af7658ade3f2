// Seeded mutation. Every case is made from (run seed, target name, case number) alone, so a case
// can be rebuilt from the line the fuzzer prints, without replaying the cases before it.
import { rng } from '../../helpers/random.ts';
import { concat } from '../../helpers/memory-transport.ts';
import type { FuzzTarget } from './fuzz-target.ts';

export type Random = () => number;

/** A 32-bit hash of a string (FNV-1a). */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Mixes the three numbers that name a case into one generator seed (murmur3's finaliser). */
export function caseSeed(runSeed: number, targetName: string, caseNumber: number): number {
  let h = (runSeed ^ hashString(targetName) ^ Math.imul(caseNumber + 1, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0 || 1;
}

const below = (next: Random, n: number): number => (n <= 0 ? 0 : next() % n);

/** Values that make counts, sizes, offsets and pointers lie the most. */
function interestingU32(next: Random, length: number): number {
  const picks = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, length, length + 1, length - 1, 16384, 16385, 65536];
  return picks[below(next, picks.length)] >>> 0;
}

function writeLE(b: Uint8Array, at: number, value: number, width: number): void {
  for (let i = 0; i < width && at + i < b.byteLength; i++) b[at + i] = (value >>> (8 * i)) & 0xff;
}

const encoder = new TextEncoder();

/** One to six byte-level mutations of `input` (a copy). `other` is a second seed to splice from. */
export function mutateBytes(next: Random, input: Uint8Array, other: Uint8Array, dictionary: readonly string[] = []): Uint8Array {
  // A copy: Buffer's slice() is a view, and a mutated seed would change every later case.
  let b: Uint8Array = new Uint8Array(input);
  const rounds = 1 + below(next, 4);
  for (let round = 0; round < rounds; round++) {
    const at = below(next, b.byteLength);
    // Seven in ten change bytes in place (ops 0-4), so that rigid structures (PNG chunks, TIFF
    // offsets) survive often enough for the mutation to reach what lies behind them.
    const r = below(next, 20);
    const op = r < 14 ? r % 5 : 5 + ((r - 14) % (dictionary.length > 0 ? 6 : 5));
    switch (op) {
      case 0: // flip one bit
        if (b.byteLength > 0) b[at] ^= 1 << below(next, 8);
        break;
      case 1: // one byte to an edge value
        if (b.byteLength > 0) b[at] = [0, 0xff, 0x7f, 0x80, 1][below(next, 5)];
        break;
      case 2: // a random byte
        if (b.byteLength > 0) b[at] = next() & 0xff;
        break;
      case 3: // a u16 or u32 (little-endian, as SPICE) to a lying value
        writeLE(b, at, interestingU32(next, b.byteLength), next() & 1 ? 4 : 2);
        break;
      case 4: // the same, big-endian (PNG, bridge fields written by DataView defaults)
        {
          const v = interestingU32(next, b.byteLength);
          for (let i = 0; i < 4 && at + i < b.byteLength; i++) b[at + i] = (v >>> (24 - 8 * i)) & 0xff;
        }
        break;
      case 5: // cut the end off
        b = b.slice(0, below(next, b.byteLength + 1));
        break;
      case 6: // delete a chunk
        {
          const n = 1 + below(next, Math.max(1, Math.min(64, b.byteLength - at)));
          b = concat([b.subarray(0, at), b.subarray(at + n)]);
        }
        break;
      case 7: // insert random bytes
        {
          const n = 1 + below(next, 16);
          const ins = Uint8Array.from({ length: n }, () => next() & 0xff);
          b = concat([b.subarray(0, at), ins, b.subarray(at)]);
        }
        break;
      case 8: // repeat a chunk of the input in place
        {
          const n = 1 + below(next, Math.max(1, Math.min(256, b.byteLength - at)));
          const chunk = b.slice(at, at + n);
          const times = 1 + below(next, 8);
          b = concat([b.subarray(0, at), ...Array.from({ length: times }, () => chunk), b.subarray(at)]);
        }
        break;
      case 9: // splice: the head of this input, the tail of another
        {
          const from = below(next, other.byteLength + 1);
          b = concat([b.subarray(0, at), other.subarray(from)]);
        }
        break;
      case 10: // a dictionary token, inserted or written over
        {
          const token = encoder.encode(dictionary[below(next, dictionary.length)]);
          b = next() & 1 ? concat([b.subarray(0, at), token, b.subarray(at)]) : concat([b.subarray(0, at), token, b.subarray(at + token.byteLength)]);
        }
        break;
    }
  }
  return b;
}

export interface FramedMessage {
  type: number;
  body: Uint8Array;
}

/** Splits a stream of mini-header messages; null when the framing does not hold. */
export function splitMessages(stream: Uint8Array): FramedMessage[] | null {
  const out: FramedMessage[] = [];
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  let o = 0;
  while (o < stream.byteLength) {
    if (o + 6 > stream.byteLength) return null;
    const type = view.getUint16(o, true);
    const size = view.getUint32(o + 2, true);
    if (o + 6 + size > stream.byteLength) return null;
    out.push({ type, body: stream.subarray(o + 6, o + 6 + size) });
    o += 6 + size;
  }
  return out;
}

export function frameMessages(messages: readonly FramedMessage[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const m of messages) {
    const h = new Uint8Array(6);
    const view = new DataView(h.buffer);
    view.setUint16(0, m.type, true);
    view.setUint32(2, m.body.byteLength, true);
    parts.push(h, m.body);
  }
  return concat(parts);
}

/**
 * Mutates a message stream mostly message by message (bodies, types, order, repeats), keeping
 * the framing; one case in ten mutates the raw stream, framing included.
 */
export function mutateMessages(next: Random, input: Uint8Array, other: Uint8Array, dictionary: readonly string[] = []): Uint8Array {
  const messages = splitMessages(input);
  const others = splitMessages(other) ?? [];
  if (!messages || messages.length === 0 || below(next, 10) === 0) return mutateBytes(next, input, other, dictionary);
  const rounds = 1 + below(next, 3);
  for (let round = 0; round < rounds; round++) {
    const i = below(next, messages.length);
    const pick = below(next, 16);
    if (pick < 10) {
      // Most mutations go into one body, spliced with a body of the same type when there is one.
      const sameType = others.filter((m) => m.type === messages[i].type);
      const donor = sameType.length > 0 ? sameType[below(next, sameType.length)].body : messages[i].body;
      messages[i] = { type: messages[i].type, body: mutateBytes(next, messages[i].body, donor, dictionary) };
    } else if (pick === 10) {
      messages[i] = { type: messages[below(next, messages.length)].type, body: messages[i].body };
    } else if (pick === 11) {
      messages.splice(i, 0, messages[below(next, messages.length)]);
    } else if (pick === 12 && messages.length > 1) {
      messages.splice(i, 1);
    } else if (pick === 13) {
      const j = below(next, messages.length);
      [messages[i], messages[j]] = [messages[j], messages[i]];
    } else if (pick === 14 && others.length > 0) {
      messages.splice(i, 0, others[below(next, others.length)]);
    } else {
      // Keep a prefix only: a session cut short.
      messages.length = Math.max(1, i);
    }
  }
  return frameMessages(messages);
}

/** The input of case `caseNumber` of a run: a mutation of one seed (another for splicing). */
/** A target's seeds as plain Uint8Array copies (a Buffer's slice() shares memory). */
export function seedsOf(target: FuzzTarget): Uint8Array[] {
  return target.seeds().map((s) => new Uint8Array(s));
}

export function makeCase(target: FuzzTarget, seeds: readonly Uint8Array[], runSeed: number, caseNumber: number): Uint8Array {
  const next = rng(caseSeed(runSeed, target.name, caseNumber));
  const seed = seeds[caseNumber % seeds.length];
  const other = seeds[below(next, seeds.length)];
  const mutate = target.shape === 'messages' ? mutateMessages : mutateBytes;
  let input = mutate(next, seed, other, target.dictionary);
  // Now and then mutate the mutant again: deeper changes, still from the same seed.
  while (below(next, 4) === 0) input = mutate(next, input, other, target.dictionary);
  return target.maxBytes !== undefined && input.byteLength > target.maxBytes ? input.slice(0, target.maxBytes) : input;
}
