// One memory budget per session: everything a server can make the client hold (surfaces, the image,
// palette and cursor caches, the GLZ window, bytes buffered for incoming messages) is charged here
// before it is allocated and released when it is dropped. A server that asks for more than the
// limit ends the session with one sentence naming what it asked for and the totals, instead of
// taking the machine's memory (twelve 8192x8192 surfaces were 3.2 GB before this existed).
import { SpiceError } from './errors.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * The default limit. A real guest at its largest: four 4K heads are 4 x 3840 x 2160 x 4 bytes =
 * 127 MiB of primary surfaces; a QXL guest's off-screen surfaces live in its surface memory
 * (QEMU's vram, 64 MiB by default, a few hundred MiB when raised for several heads); the image
 * cache is the 80 MiB the client announces, the GLZ window at most 128 MiB, and the bytes in flight
 * on the channels a few MiB. That is about 600 MiB; 1 GiB leaves room for surfaces created before
 * the old ones are destroyed and for guests configured larger.
 */
export const DEFAULT_MEMORY_LIMIT = 1 * GiB;

/**
 * The smallest limit accepted: the GLZ window (128 MiB at most) and the announced image cache
 * (80 MiB) must fit with room for a 1920x1080 screen and messages in flight.
 */
export const MIN_MEMORY_LIMIT = 256 * MiB;

/** The largest limit accepted (the budget counts in doubles; beyond this it means nothing). */
export const MAX_MEMORY_LIMIT = 1024 * GiB;

/** What the charges are for, as they are named in the error's totals. */
export type MemoryUse = 'surfaces' | 'image cache' | 'palette cache' | 'cursor cache' | 'GLZ window' | 'incoming messages' | 'queued display messages' | 'queued video frames';

/** The server asked for more than the session's memory limit: a protocol error (exit 6). */
export class MemoryLimitError extends SpiceError {
  readonly askedBytes: number;
  readonly limitBytes: number;
  constructor(message: string, askedBytes: number, limitBytes: number) {
    super('protocol', message);
    this.name = 'MemoryLimitError';
    this.askedBytes = askedBytes;
    this.limitBytes = limitBytes;
  }
}

export class MemoryBudget {
  readonly limit: number;
  private usedBytes = 0;
  private readonly byUse = new Map<MemoryUse, number>();
  private tripped: MemoryLimitError | null = null;
  private readonly listeners: ((error: MemoryLimitError) => void)[] = [];

  constructor(limitBytes: number = DEFAULT_MEMORY_LIMIT) {
    if (!Number.isFinite(limitBytes) || limitBytes <= 0) throw new RangeError(`a memory limit must be a positive number of bytes, got ${limitBytes}`);
    this.limit = limitBytes;
  }

  get used(): number {
    return this.usedBytes;
  }

  /** Bytes held now for one use. */
  usedFor(use: MemoryUse): number {
    return this.byUse.get(use) ?? 0;
  }

  /** The first charge that did not fit; once set, every later charge fails too (the session is ending). */
  get exceeded(): MemoryLimitError | null {
    return this.tripped;
  }

  /** Called once, with the first charge that did not fit (the session ends on it). */
  onExceeded(listener: (error: MemoryLimitError) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * Charges `bytes` for `use`, before they are allocated; throws MemoryLimitError when they would
   * take the session past its limit. `what` names what the server asked for ("surface 7 of
   * 8192x8192"); it is only built when the charge fails.
   */
  charge(use: MemoryUse, bytes: number, what: () => string): void {
    const error = this.tryCharge(use, bytes, what);
    if (error) throw error;
  }

  /** As `charge`, but returns the error instead of throwing (for callbacks that must not throw). */
  tryCharge(use: MemoryUse, bytes: number, what: () => string): MemoryLimitError | null {
    if (bytes <= 0) return null;
    if (this.tripped) return this.tripped;
    const after = this.usedBytes + bytes;
    if (after > this.limit) {
      // Rounded, the total could read as the limit itself.
      const total = formatBytes(after) === formatBytes(this.limit) ? `just over ${formatBytes(this.limit)}` : formatBytes(after);
      const error = new MemoryLimitError(
        `the server asked for ${what()} (${formatBytes(bytes)}), which would take this session to ${total} of its ` +
          `${formatBytes(this.limit)} memory limit (held now: ${this.breakdown()})`,
        bytes,
        this.limit,
      );
      this.tripped = error;
      for (const listener of [...this.listeners]) listener(error);
      return error;
    }
    this.usedBytes = after;
    this.byUse.set(use, (this.byUse.get(use) ?? 0) + bytes);
    return null;
  }

  /**
   * A new session on the same budget (the page's cursor cache, across reconnects): charges go
   * through again, and the listeners hear the next refusal.
   */
  rearm(): void {
    this.tripped = null;
  }

  release(use: MemoryUse, bytes: number): void {
    if (bytes <= 0) return;
    const held = this.byUse.get(use) ?? 0;
    // Never below zero: a release that does not match a charge is a bug, not a reason to let more in.
    const n = Math.min(bytes, held);
    this.byUse.set(use, held - n);
    this.usedBytes -= n;
  }

  private breakdown(): string {
    const parts = [...this.byUse].filter(([, n]) => n > 0).map(([use, n]) => `${use} ${formatBytes(n)}`);
    return parts.length ? parts.join(', ') : 'nothing';
  }
}

/** 1.02 GiB, 256 MiB, 12 KiB, 100 bytes: binary units, at most two decimals, no trailing zeros. */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [
    [GiB, 'GiB'],
    [MiB, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/**
 * A size as the user writes it: a whole number with an optional binary suffix K, M, G or T
 * (KiB, MiB, GiB, TiB; case and a trailing "iB" or "B" do not matter): 512M, 1G, 1536MiB, 2147483648.
 * Null when it is not one.
 */
export function parseByteSize(text: string): number | null {
  const m = /^(\d{1,16})\s?([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) return null;
  const scale = new Map([
    ['', 1],
    ['k', 1024],
    ['m', MiB],
    ['g', GiB],
    ['t', 1024 * GiB],
  ]).get(m[2].toLowerCase())!;
  const n = Number(m[1]) * scale;
  return Number.isSafeInteger(n) ? n : null;
}
