// Waiting in tests: on a condition, never for a fixed time. A loaded machine (two cores, servers
// and Chromium beside the test) makes any fixed sleep too short some day; a condition with a
// generous timeout costs nothing when things are quick and holds when they are slow.

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Lets whatever is already queued run: promise reactions, timers due now and I/O callbacks
 * (socket data written to a local peer). For a test that checks nothing happened, or that only
 * needs the event loop to turn once; a test expecting something waits for it with waitFor.
 */
export function drainQueuedWork(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export interface WaitOptions {
  /** The longest gap between two probes; polling starts at 1 ms and doubles up to it. */
  pollMs?: number;
  /** Adds detail to the timeout error (what was seen last). */
  explain?: () => string | Promise<string>;
}

/**
 * Probes until `probe` gives something other than undefined and returns it; fails naming `what`
 * after timeoutMs. The first probes come quickly (1, 2, 4 ms...) so that a unit test waiting on an
 * in-process event is not slowed down, then every pollMs for probes that are costly (a page
 * evaluation, a screen capture).
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
  options: WaitOptions = {},
): Promise<T> {
  const pollMs = options.pollMs ?? 100;
  const end = Date.now() + timeoutMs;
  let gap = 1;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() >= end) break;
    await sleep(Math.min(gap, pollMs, Math.max(1, end - Date.now())));
    gap *= 2;
  }
  const detail = options.explain ? await options.explain() : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail}` : ''}`);
}

/** waitFor for a condition that is simply true or false. */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  options: WaitOptions = {},
): Promise<void> {
  await waitFor(what, async () => ((await condition()) ? true : undefined), timeoutMs, options);
}

/**
 * The window a negative check gives something that must not happen (a message the policy blocks,
 * a click that must not land). There is no condition to wait on, so this is a fixed time: as long
 * as the same thing takes to arrive when it is allowed, with room for a loaded machine.
 */
export function watchForNothing(ms: number): Promise<void> {
  return sleep(ms);
}
