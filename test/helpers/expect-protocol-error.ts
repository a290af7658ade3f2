// Runs `f` and returns the ProtocolError it throws; fails the test if it throws anything else
// (a RangeError from an unchecked read, say) or nothing at all.
import { expect } from 'vitest';
import { ProtocolError } from '../../src/protocol/wire/errors.ts';

export function expectProtocolError(f: () => unknown, pattern?: RegExp): ProtocolError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    if (pattern) expect((e as Error).message).toMatch(pattern);
    return e as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}
