// When a session that was linked goes away, whether to try again, and when. Pure: the hosts (the
// gateway's BridgeHost, `spicedesk do --reconnect`) keep the timers and sessions; this file only
// decides. Worth retrying: the network went (reset, refused or unreachable while the server
// restarts, a link that timed out) and a server that closed the session by itself. Not worth it:
// whatever the user must fix (usage, TLS and security policy), a server that speaks something
// else or refuses the link for a reason a retry cannot change, malformed data, and a session the
// client closed itself.
import { isSpiceError } from '../wire/errors.ts';

/**
 * 'session': a linked session ended. 'link': an attempt to link again failed (the server may still
 * be starting, so a connection it closed during the link counts as not up yet).
 */
export type DropPhase = 'session' | 'link';

/** 'ask-password': the server refused the password (an expired one-time ticket); a UI asks again. */
export type ReconnectVerdict = 'retry' | 'ask-password' | 'give-up';

// The byte stream's end before a complete message (ByteQueue) and the main channel ending
// without DISCONNECTING (Session): the server, or the path to it, went away. Both are kind
// 'protocol' because they break the conversation, but neither is data the server got wrong.
const CONNECTION_ENDED = /^the server closed the [\w ]+ connection$|^the server at .+ closed the session$/;

/** Whether a session that ended, or a link attempt that failed, with `error` is worth another try. */
export function reconnectVerdict(error: Error | undefined, phase: DropPhase): ReconnectVerdict {
  // No error: the client closed it on purpose.
  if (error === undefined || !isSpiceError(error)) return 'give-up';
  switch (error.kind) {
    case 'unreachable':
    case 'timeout':
      return 'retry';
    case 'auth':
      return phase === 'link' ? 'ask-password' : 'give-up';
    case 'protocol':
      // A ProtocolError is malformed data: the same server would send it again.
      if (error.name === 'ProtocolError') return 'give-up';
      return CONNECTION_ENDED.test(error.message) ? 'retry' : 'give-up';
    default:
      return 'give-up';
  }
}

export interface BackoffOptions {
  /** Delay before the first attempt after a drop. */
  firstDelayMs: number;
  /** Each next delay is this many times the last... */
  factor: number;
  /** ...up to this. */
  maxDelayMs: number;
  /**
   * A session that stayed linked this long counts as recovered: its drop starts over from the
   * first delay. One that drops sooner continues the series, so a server that accepts and drops
   * at once is not hammered every second.
   */
  stableAfterMs: number;
}

export const defaultBackoff: BackoffOptions = { firstDelayMs: 1000, factor: 2, maxDelayMs: 30_000, stableAfterMs: 10_000 };

export interface ReconnectAttempt {
  /** 1 for the first attempt after a drop. */
  attempt: number;
  delayMs: number;
}

/** The attempt numbers and delays of reconnecting; the caller says when a session linked and dropped. */
export class ReconnectBackoff {
  private attempts = 0;
  private linkedAt: number | null = null;

  constructor(private readonly options: BackoffOptions = defaultBackoff) {
    if (!(options.firstDelayMs >= 0 && options.factor >= 1 && options.maxDelayMs >= options.firstDelayMs && options.stableAfterMs >= 0)) {
      throw new RangeError('backoff: need firstDelayMs >= 0, factor >= 1, maxDelayMs >= firstDelayMs, stableAfterMs >= 0');
    }
  }

  /** Attempts made since the last stable session. */
  get attemptsMade(): number {
    return this.attempts;
  }

  /** A session linked at `now` (ms). */
  linked(now: number): void {
    this.linkedAt = now;
  }

  /** A linked session dropped at `now`; after a stable one the series starts over. */
  dropped(now: number): void {
    if (this.linkedAt !== null && now - this.linkedAt >= this.options.stableAfterMs) this.attempts = 0;
    this.linkedAt = null;
  }

  /** The next attempt: its number and how long to wait before it. */
  next(): ReconnectAttempt {
    this.attempts++;
    const { firstDelayMs, factor, maxDelayMs } = this.options;
    const delayMs = Math.min(maxDelayMs, firstDelayMs * factor ** Math.min(this.attempts - 1, 64));
    return { attempt: this.attempts, delayMs: Math.round(delayMs) };
  }
}
