// Messages between the page and its decode worker (decode-worker.ts). Bodies go in still
// compressed; what comes back is the damaged rectangles of the primary surface as RGBA bytes,
// transferred, not copied.

export interface DisplayItem {
  channelId: number;
  type: number;
  serial: bigint;
  body: Uint8Array;
}

export type ToDecodeWorker =
  /** The display messages of one host packet, in order; their bodies share the packet's buffer. */
  | { kind: 'display-batch'; items: DisplayItem[] }
  /** Send the whole primary surface again (a new presenter, a restored WebGL context). */
  | { kind: 'resend' }
  /** A new session (a reconnect): surfaces, image cache and GLZ window start empty. */
  | { kind: 'reset' };

export interface DamagedRect {
  x: number;
  y: number;
  width: number;
  height: number;
  /** width * height * 4 bytes, RGBA, alpha 255. */
  pixels: Uint8Array;
}

export type FromDecodeWorker =
  /** The primary surface of display 0 was created (or replaced): a new size. */
  | { kind: 'surface'; width: number; height: number }
  | { kind: 'damage'; rects: DamagedRect[] }
  /** The server's MARK: the first complete frame has been drawn. */
  | { kind: 'mark' }
  | { kind: 'message-error'; message: string }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; text: string };
