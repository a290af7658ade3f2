// Set-1 scan codes and their encoding in the inputs channel's KEY_DOWN / KEY_UP messages.
//
// A scan code here is written as the keyboard sends it: 0x00nn for a one-byte key, 0xE0nn for an
// E0-prefixed key, PAUSE_SCANCODE for Pause. Print Screen (E0 37) goes out with the fake shift
// around it, as a keyboard sends it. On the wire the server takes the u32 apart low byte
// first and stops at a zero byte, so the prefix goes in the low byte: right Ctrl is 0x1DE0 down
// and 0x9DE0 up (bit 7 of the key byte marks the release).
import { PAUSE_SCANCODE, scancodeTable } from './scancode-table.ts';

export { PAUSE_SCANCODE, scancodeTable };

const RELEASE = 0x80;
const E0 = 0xe0;
const E1 = 0xe1;
const PRINT_SCREEN = 0xe037;
/** The left Shift code a keyboard wraps around Print Screen (E0 2A ... E0 AA). */
const FAKE_SHIFT = 0x2a;

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
  if (scancode > 0 && scancode < RELEASE) return true;
  return scancode >> 8 === E0 && (scancode & 0xff) !== 0 && (scancode & RELEASE) === 0;
}

/** The KEY_DOWN and KEY_UP codes that press and release `scancode`. */
export function wireCodesFor(scancode: number): KeyWireCodes {
  if (!isValidScancode(scancode)) throw new RangeError(`0x${scancode.toString(16)} is not a set-1 scan code`);
  if (scancode === PAUSE_SCANCODE) {
    // E1 1D 45 / E1 9D C5, split as spice-gtk does: the E1 pair, then NumLock's code.
    return { down: [E1 | (0x1d << 8), 0x45], up: [E1 | ((0x1d | RELEASE) << 8), 0x45 | RELEASE] };
  }
  if (scancode < RELEASE) return { down: [scancode], up: [scancode | RELEASE] };
  const e0 = (key: number): number => E0 | (key << 8);
  const key = scancode & 0xff;
  if (scancode === PRINT_SCREEN) return { down: [e0(FAKE_SHIFT), e0(key)], up: [e0(key | RELEASE), e0(FAKE_SHIFT | RELEASE)] };
  return { down: [e0(key)], up: [e0(key | RELEASE)] };
}

/** "0xE01D" style, for messages. */
export function formatScancode(scancode: number): string {
  return `0x${scancode.toString(16).toUpperCase().padStart(2, '0')}`;
}
