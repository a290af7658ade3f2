// The decode worker, started by the page's first script (boot.ts) before main.js has even been
// fetched: its thread starts and its module (decode-worker.js, the largest file of the page) loads
// and compiles while main.js does, instead of after it. The worker's bridge opens the session's
// socket, so the HELLO, and with it the SPICE link, waited for the worker's start (bench/README.md,
// first frame). The display view adopts the started worker; what the worker said before that
// (its start marks) is held for it, not lost to a Worker with no listener yet.

/** The decode worker's module, beside main.js. */
export const DECODE_WORKER_MODULE = 'decode-worker.js';
const WORKER_OPTIONS: WorkerOptions = { type: 'module', name: 'spicedesk decode' };

/** What the worker sent before it was adopted: a message's data, or an error's text. */
export type HeldWorkerEvent = { kind: 'message'; data: unknown } | { kind: 'error'; message: string };

interface EarlyWorker {
  worker: Worker;
  held: HeldWorkerEvent[];
  hold: (e: Event) => void;
}

type WithEarlyWorker = { spicedeskEarlyWorker?: EarlyWorker };
/** The page's globals this needs: its Worker constructor (a fake one in tests). */
export type PageGlobals = Pick<typeof globalThis, 'Worker'>;

/** Starts the decode worker now, for the display view to adopt (boot.ts). A second call does nothing. */
export function startEarlyWorker(w: PageGlobals = window): void {
  const holder = w as unknown as WithEarlyWorker;
  if (holder.spicedeskEarlyWorker) return;
  const worker = new w.Worker(DECODE_WORKER_MODULE, WORKER_OPTIONS);
  const held: HeldWorkerEvent[] = [];
  // A module that fails to load fires a plain Event, not an ErrorEvent.
  const hold = (e: Event): void =>
    void held.push(e.type === 'message' ? { kind: 'message', data: (e as MessageEvent).data } : { kind: 'error', message: (e as Partial<ErrorEvent>).message ?? 'the decode worker failed to start' });
  worker.addEventListener('message', hold);
  worker.addEventListener('error', hold);
  holder.spicedeskEarlyWorker = { worker, held, hold };
}

/**
 * The decode worker: the one boot.ts started, once (a second display view, or a page without
 * boot.js, starts its own), with what it sent so far; the caller replays `held` after it has set
 * its own handlers.
 */
export function adoptDecodeWorker(w: PageGlobals = window): { worker: Worker; held: HeldWorkerEvent[]; early: boolean } {
  const holder = w as unknown as WithEarlyWorker;
  const early = holder.spicedeskEarlyWorker;
  if (!early) return { worker: new w.Worker(DECODE_WORKER_MODULE, WORKER_OPTIONS), held: [], early: false };
  delete holder.spicedeskEarlyWorker;
  early.worker.removeEventListener('message', early.hold);
  early.worker.removeEventListener('error', early.hold);
  return { worker: early.worker, held: early.held, early: true };
}
