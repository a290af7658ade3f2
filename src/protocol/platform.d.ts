// The few host APIs that every runtime of src/protocol has (Node, browsers, workers), declared
// here because this folder compiles without the DOM lib and without Node types on purpose.

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

declare function setTimeout(handler: () => void, timeout?: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare function queueMicrotask(callback: () => void): void;
/** A monotonic clock in ms (Node, browsers and workers all have it): video frames are timed on it. */
declare const performance: { now(): number };
