import { describe, expect, it } from 'vitest';
import { isSpiceError, ProtocolError, SpiceError } from '../../../src/protocol/wire/errors.ts';

describe('isSpiceError', () => {
  it('recognises SpiceErrors, also those made by another bundle’s copy of the class', () => {
    expect(isSpiceError(new SpiceError('auth', 'x'))).toBe(true);
    expect(isSpiceError(new ProtocolError('x', 3))).toBe(true);
    class OtherBundleSpiceError extends Error {
      kind = 'usage';
      override name = 'SpiceError';
    }
    expect(isSpiceError(new OtherBundleSpiceError('serve needs a TARGET'))).toBe(true);
  });

  it('rejects look-alikes that are not errors or carry no known kind', () => {
    expect(isSpiceError({ name: 'SpiceError', kind: 'usage', message: 'x' })).toBe(false);
    const noKind = Object.assign(new Error('x'), { name: 'SpiceError' });
    expect(isSpiceError(noKind)).toBe(false);
    const badKind = Object.assign(new Error('x'), { name: 'SpiceError', kind: 'whatever' });
    expect(isSpiceError(badKind)).toBe(false);
    expect(isSpiceError(new TypeError('x'))).toBe(false);
  });
});
