// Set-1 scan codes and their encoding in the inputs channel's KEY_DOWN / KEY_UP messages.
//
// A scan code here is written as the keyboard sends it: 0x00nn for a one-byte key, 0xE0nn for an
// E0-prefixed key, PAUSE_SCANCODE for Pause. On the wire the server takes the u32 apart low byte
// first and stops at a zero byte, so the prefix goes in the low byte: right Ctrl is 0x1DE0 down
// and 0x9DE0 up (bit 7 of the key byte marks the release).
import { PAUSE_SCANCODE, scancodeTable } from './scancode-table.ts';

export { PAUSE_SCANCODE, scancodeTable };

const RELEASE = 0x80;
const E0 = 0xe0;
const E1 = 0xe1;

/** The wire codes for one key: KEY_DOWN bodies on press, KEY_UP bodies on release. */
export interface KeyWireCodes {
  readonly down: readonly number[];
  readonly up: readonly number[];
}

/** The set-1 scan code of a KeyboardEvent.code, or undefined when a PC keyboard has no such key. */
export function scancodeForCode(code: string): number | undefined {
  return Object.hasOwn(scancodeTable, code) ? scancodeTable[code] : undefined;
}

/** True for a value this module can encode. */
export function isValidScancode(scancode: number): boolean {
  if (!Number.isInteger(scancode)) return false;
  if (scancode === PAUSE_SCANCODE) return true;
  if (scancode > 0 && scancode <= 0xff) return true;
  return scancode >> 8 === E0 && (scancode & 0xff) !== 0 && (scancode & RELEASE) === 0;
}

/** The KEY_DOWN and KEY_UP codes that press and release `scancode`. */
export function wireCodesFor(scancode: number): KeyWireCodes {
  if (!isValidScancode(scancode)) throw new RangeError(`0x${scancode.toString(16)} is not a set-1 scan code`);
  if (scancode === PAUSE_SCANCODE) {
    // E1 1D 45 / E1 9D C5, split as spice-gtk does: the E1 pair, then NumLock's code.
    return { down: [E1 | (0x1d << 8), 0x45], up: [E1 | ((0x1d | RELEASE) << 8), 0x45 | RELEASE] };
  }
  if (scancode <= 0xff) {
    // Keys whose code already has bit 7 set (Korean Hangul/Hanja) send nothing on release.
    if (scancode & RELEASE) return { down: [scancode], up: [] };
    return { down: [scancode], up: [scancode | RELEASE] };
  }
  const key = scancode & 0xff;
  return { down: [E0 | (key << 8)], up: [E0 | ((key | RELEASE) << 8)] };
}

/** "0xE01D" style, for messages. */
export function formatScancode(scancode: number): string {
  return `0x${scancode.toString(16).toUpperCase().padStart(2, '0')}`;
}
