// Marks on the page's performance timeline for the steps to the first frame (bench/README.md,
// interactive: where the time to the first frame goes). Each is set once, the first time its step
// happens; reading them costs nothing unless someone asks (the first-frame bench reads them over
// the DevTools protocol, with performance.timeOrigin to put them on one clock). The decode
// worker's marks go to the page (`forwardStartMarks`), which sets them on its own timeline as
// `worker-NAME`: DevTools does not always show a dedicated worker to a client that attaches late.
const seen = new Set<string>();
let forward: ((name: string, epochMs: number) => void) | null = null;

/** `spicedesk:NAME` on this thread's timeline (or forwarded), the first time only. */
export function startMark(name: string): void {
  if (seen.has(name)) return;
  seen.add(name);
  if (forward) forward(name, performance.timeOrigin + performance.now());
  // A browser without the User Timing API loses the mark, nothing else.
  else performance.mark?.(`spicedesk:${name}`);
}

/** In the decode worker: its marks go to `to` (the page) instead of its own timeline. */
export function forwardStartMarks(to: (name: string, epochMs: number) => void): void {
  forward = to;
}

/**
 * On the page: a mark the worker forwarded, at its time on the page's timeline. The name and time
 * come from the worker: anything but a short word and a finite time is dropped.
 */
export function workerStartMark(name: unknown, epochMs: unknown): void {
  if (typeof name !== 'string' || !/^[a-z0-9-]{1,40}$/.test(name) || typeof epochMs !== 'number' || !Number.isFinite(epochMs)) return;
  const key = `worker-${name}`;
  if (seen.has(key)) return;
  seen.add(key);
  performance.mark?.(`spicedesk:${key}`, { startTime: Math.max(0, epochMs - performance.timeOrigin) });
}
