// Screenshots of the Electron window: main asks the page for the pixels it shows (the page
// decodes; main never has them otherwise) and writes a PNG. Pixels cross from the renderer to main
// only here, for this one explicit action of the user.
import type { SurfaceSnapshot } from '../../protocol/channels/display/display-sink.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import type { ToMainMessages } from './ipc.ts';

type Reply = ToMainMessages['spicedesk:screenshot'];

/** RGBA bytes, top row first (the page's readPixels), as the 0xAARRGGBB words png.ts encodes. */
export function rgbaToSurface(width: number, height: number, rgba: Uint8Array): SurfaceSnapshot {
  if (rgba.byteLength !== width * height * 4) throw new SpiceError('internal', `screenshot: ${rgba.byteLength} bytes for ${width}x${height}`);
  const data = new Uint32Array(width * height);
  for (let i = 0, o = 0; i < data.length; i++, o += 4) {
    data[i] = ((rgba[o + 3] << 24) | (rgba[o] << 16) | (rgba[o + 1] << 8) | rgba[o + 2]) >>> 0;
  }
  return { width, height, data };
}

/** `spicedesk-<title>-2024-05-06-141502.png`: sortable, and safe as a file name everywhere. */
export function screenshotFileName(title: string, at: Date): string {
  const safe = title.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 60);
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  return `spicedesk-${safe ? `${safe}-` : ''}${stamp}.png`;
}

/**
 * Screenshot requests of one window: an id per request, answered once by the page's reply with
 * that id or failed after a timeout. A reply nobody asked for (a stale or forged id) is dropped.
 */
export class ScreenshotRequests {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (s: SurfaceSnapshot) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly timeoutMs = 5000) {}

  /** Sends a request through `ask` and waits for its reply. */
  request(ask: (id: number) => void): Promise<SurfaceSnapshot> {
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
    return new Promise<SurfaceSnapshot>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SpiceError('timeout', `the window did not give its pixels within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      try {
        ask(id);
      } catch (e) {
        this.settle(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** A validated reply; false when no request of this window has its id. */
  answer(reply: Reply): boolean {
    const p = this.settle(reply.id);
    if (!p) return false;
    if ('error' in reply) p.reject(new SpiceError('internal', `the window has no screen to save: ${reply.error}`));
    else p.resolve(rgbaToSurface(reply.width, reply.height, reply.rgba));
    return true;
  }

  /** Fails every request still waiting (the window closed). */
  cancelAll(why: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new SpiceError('internal', why));
  }

  private settle(id: number): { resolve: (s: SurfaceSnapshot) => void; reject: (e: Error) => void } | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(id);
    return p;
  }
}
