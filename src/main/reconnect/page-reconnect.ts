// A page's session coming back by itself (BridgeHost): when a linked session drops for a reason
// worth retrying, the page is told at once (status 'reconnecting' with the reason, the attempt
// and the delay) and its display is reset; attempts follow with backoff until one links, one fails
// for a reason a retry cannot change, or the page goes away. What the page asked of the guest
// (display size, clipboard sharing) is re-applied by PageAgent once the new session's agent is up.
import type { SessionStatus } from '../../protocol/bridge/bridge-messages.ts';
import type { Logger } from '../../protocol/logger.ts';
import { defaultBackoff, ReconnectBackoff, reconnectVerdict, type BackoffOptions } from '../../protocol/session/reconnect-policy.ts';

export interface PageReconnectHooks {
  /** A status for the page (reconnecting). */
  status(status: SessionStatus): void;
  /** Tells the page to drop the old session's display state, before anything of the new one. */
  resetDisplay(): void;
  /** Starts one link attempt; its outcome comes back through linked() or attemptFailed(). */
  connect(): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class PageReconnect {
  private readonly backoff: ReconnectBackoff;
  private timer: unknown = null;
  /** Between a drop and the next linked session (also while a password is asked for). */
  private reconnecting = false;
  private lastReason = '';
  private stopped = false;

  constructor(
    private readonly where: string,
    private readonly hooks: PageReconnectHooks,
    private readonly log: Logger,
    backoff: BackoffOptions = defaultBackoff,
    private readonly timers: Timers = realTimers,
    private readonly now: () => number = Date.now,
  ) {
    this.backoff = new ReconnectBackoff(backoff);
  }

  /** True from a drop until a session links again: a refused password is then asked for again. */
  get active(): boolean {
    return this.reconnecting;
  }

  /** A session linked (the first one or a reconnect). */
  linked(): void {
    if (this.reconnecting) this.log.info({ where: this.where, attempts: this.backoff.attemptsMade }, 'reconnected');
    this.reconnecting = false;
    this.backoff.linked(this.now());
  }

  /**
   * A linked session ended with `error` (undefined: closed by us). True when a reconnect is
   * scheduled; false when the host should end the page as before.
   */
  sessionEnded(error: Error | undefined): boolean {
    if (this.stopped || reconnectVerdict(error, 'session') !== 'retry') return false;
    this.backoff.dropped(this.now());
    this.reconnecting = true;
    this.lastReason = error?.message ?? 'closed';
    this.log.warn({ where: this.where, reason: this.lastReason }, 'session lost; reconnecting');
    this.hooks.resetDisplay();
    this.schedule();
    return true;
  }

  /**
   * A reconnect attempt did not link. 'retry': the next one is scheduled; 'ask-password': the
   * server refused the password (the host asks the page); 'give-up': the host ends the page.
   * Outside a reconnect it is always 'give-up': a first connection fails as it always did.
   */
  attemptFailed(error: unknown): 'retry' | 'ask-password' | 'give-up' {
    if (!this.reconnecting || this.stopped) return 'give-up';
    const verdict = reconnectVerdict(error instanceof Error ? error : undefined, 'link');
    if (verdict === 'retry') {
      this.lastReason = (error as Error).message;
      this.schedule();
    }
    return verdict;
  }

  /** The page went away or the host ends it: no more attempts. */
  stop(): void {
    this.stopped = true;
    this.reconnecting = false;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const { attempt, delayMs } = this.backoff.next();
    this.hooks.status({ state: 'reconnecting', where: this.where, reason: this.lastReason, attempt, delayMs });
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      if (this.stopped) return;
      this.hooks.status({ state: 'reconnecting', where: this.where, reason: this.lastReason, attempt, delayMs: 0 });
      this.hooks.connect();
    }, delayMs);
  }
}
