// Every IPC message the main process takes from a window, validated before anything acts on it
// (the VS Code way: one typed interface, a validator per message). The page is our own code, but
// it shows a remote desktop and parses what a server sends; a page that was made to misbehave
// gets its message rejected and logged, never a crash or a half-read value in main.
import { ToMain } from './ipc-channels.ts';

/** Bounds of a screenshot: SPICE surfaces are at most this wide and high in practice. */
export const MAX_SCREENSHOT_SIDE = 16384;
/** 64 Mpixels (256 MiB of RGBA): eight 4K monitors side by side; more is not a screen. */
export const MAX_SCREENSHOT_PIXELS = 64 * 1024 * 1024;
const MAX_REQUEST_ID = 0x7fffffff;
const MAX_ERROR_CHARS = 1000;

/** The payload of each page -> main channel, as main's handlers receive it. */
export interface ToMainMessages {
  [ToMain.openBridge]: Record<string, never>;
  [ToMain.openInputPort]: Record<string, never>;
  [ToMain.screenshot]:
    | { id: number; width: number; height: number; rgba: Uint8Array }
    /** The page has no pixels to give (nothing drawn yet, or reading them failed). */
    | { id: number; error: string };
}

export type ToMainChannel = keyof ToMainMessages;
export type ToMainMessage = { [C in ToMainChannel]: { channel: C; payload: ToMainMessages[C] } }[ToMainChannel];

export type Validated = { ok: true; message: ToMainMessage } | { ok: false; why: string };

class Rejected extends Error {}
const reject = (why: string): never => {
  throw new Rejected(why);
};

/**
 * A plain object (as structured clone makes them) with exactly these own keys. Checked by own
 * property names, so a `__proto__` or `constructor` key that a hostile sender put in is an extra
 * key, and nothing reads through the prototype chain.
 */
function record(value: unknown, what: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return reject(`${what} must be an object`);
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return reject(`${what} must be a plain object`);
  const own = Reflect.ownKeys(value);
  for (const k of own) {
    if (typeof k !== 'string' || !keys.includes(k)) return reject(`${what} has an unexpected field ${String(k).slice(0, 40)}`);
  }
  for (const k of keys) if (!Object.prototype.hasOwnProperty.call(value, k)) return reject(`${what} lacks ${k}`);
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const k of keys) {
    const d = Object.getOwnPropertyDescriptor(value, k);
    if (!d || !('value' in d)) return reject(`${what}.${k} must be a plain value`);
    out[k] = d.value;
  }
  return out;
}

function integer(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) return reject(`${what} must be a whole number from ${min} to ${max}`);
  return value;
}

function text(value: unknown, what: string, maxChars: number): string {
  if (typeof value !== 'string') return reject(`${what} must be a string`);
  if (value.length > maxChars) return reject(`${what} is longer than ${maxChars} characters`);
  return value;
}

/** A request that carries nothing. */
function noArguments(args: readonly unknown[]): Record<string, never> {
  if (args.length !== 0) reject('takes no arguments');
  return {};
}

const validators: { [C in ToMainChannel]: (args: readonly unknown[]) => ToMainMessages[C] } = {
  [ToMain.openBridge]: noArguments,
  [ToMain.openInputPort]: noArguments,
  [ToMain.screenshot]: (args) => {
    if (args.length !== 1) reject('takes one argument');
    const head = args[0];
    const isError = typeof head === 'object' && head !== null && Object.prototype.hasOwnProperty.call(head, 'error');
    if (isError) {
      const r = record(head, 'the reply', ['id', 'error']);
      return { id: integer(r.id, 'id', 1, MAX_REQUEST_ID), error: text(r.error, 'error', MAX_ERROR_CHARS) };
    }
    const r = record(head, 'the reply', ['id', 'width', 'height', 'rgba']);
    const id = integer(r.id, 'id', 1, MAX_REQUEST_ID);
    const width = integer(r.width, 'width', 1, MAX_SCREENSHOT_SIDE);
    const height = integer(r.height, 'height', 1, MAX_SCREENSHOT_SIDE);
    if (width * height > MAX_SCREENSHOT_PIXELS) reject(`${width}x${height} is more than ${MAX_SCREENSHOT_PIXELS} pixels`);
    const rgba = r.rgba;
    if (!(rgba instanceof Uint8Array)) return reject('rgba must be a Uint8Array');
    if (rgba.byteLength !== width * height * 4) reject(`rgba has ${rgba.byteLength} bytes, not ${width}x${height}x4`);
    return { id, width, height, rgba };
  },
};

/** Checks one message a window sent on `channel` with `args` (ipcRenderer.send's rest arguments). */
export function validateToMain(channel: unknown, args: readonly unknown[]): Validated {
  if (typeof channel !== 'string' || !Object.prototype.hasOwnProperty.call(validators, channel)) {
    return { ok: false, why: `unknown channel ${typeof channel === 'string' ? JSON.stringify(channel.slice(0, 60)) : typeof channel}` };
  }
  const name = channel as ToMainChannel;
  try {
    const payload = validators[name](args);
    return { ok: true, message: { channel: name, payload } as ToMainMessage };
  } catch (e) {
    if (e instanceof Rejected) return { ok: false, why: `${name}: ${e.message}` };
    throw e;
  }
}
