// `spicedesk do --reconnect`: keeps a script's connection alive across network cuts and server
// restarts (and without --reconnect, says plainly that the connection was lost). When the session drops for a reason worth retrying (reconnect-policy.ts), one line
// says so at once and new sessions are linked with backoff in the background, within a time
// budget; the script's next action waits for the new one. The script decides which interrupted
// actions it repeats: lost() tells it that its connection went away under an action.
import type { Logger } from '../../protocol/logger.ts';
import { defaultBackoff, ReconnectBackoff, reconnectVerdict, type BackoffOptions } from '../../protocol/session/reconnect-policy.ts';
import type { Session } from '../../protocol/session/session.ts';
import { isSpiceError, SpiceError } from '../../protocol/wire/errors.ts';

/** Whatever the script keeps per session (channels, mouse mode); the keeper needs its session. */
export interface KeptConnection {
  session: Session;
}

/** The connection an action ran on dropped while it ran. */
/** How long a channel's end may come before the session's own when a server goes away. */
const LOSS_GRACE_MS = 2000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class ConnectionLost extends Error {
  constructor(readonly reason: Error | undefined) {
    super(reason?.message ?? 'the session closed');
    this.name = 'ConnectionLost';
  }
}

export interface SessionKeeperOptions<C extends KeptConnection> {
  /** "host:port", for messages. */
  where: string;
  /**
   * False: a drop is reported as such ("...was lost (why); --reconnect links again") and the
   * script ends; nothing is linked again.
   */
  reconnect: boolean;
  /** Links a new session and prepares it for the script; bounded by the command's --timeout. */
  relink: () => Promise<C>;
  /** How long after a drop to keep trying. */
  budgetMs: number;
  /** One line for the user (stderr). */
  notify: (line: string) => void;
  logger: Logger;
  backoff?: BackoffOptions;
}

export class SessionKeeper<C extends KeptConnection> {
  private current: Promise<C>;
  private latestConnection: C;
  private readonly lostOf = new WeakMap<C, { promise: Promise<never>; lost: boolean }>();
  private readonly backoff: ReconnectBackoff;
  private stopped = false;

  constructor(
    first: C,
    private readonly o: SessionKeeperOptions<C>,
  ) {
    this.backoff = new ReconnectBackoff(o.backoff ?? defaultBackoff);
    this.latestConnection = first;
    this.current = Promise.resolve(first);
    this.watch(first);
  }

  /** The newest connection made, live or not (to release its inputs and close it at the end). */
  get latest(): C {
    return this.latestConnection;
  }

  /**
   * The connection for the next action: the current one, or, after a drop, the next one once it
   * links. Rejects when the drop was not worth retrying or the budget ran out.
   */
  connection(): Promise<C> {
    return this.current;
  }

  /** Rejects with ConnectionLost when this connection's session drops. */
  lost(c: C): Promise<never> {
    return this.lostOf.get(c)?.promise ?? Promise.reject(new ConnectionLost(undefined));
  }

  /** Whether this connection's session has dropped. */
  hasLost(c: C): boolean {
    return this.lostOf.get(c)?.lost ?? true;
  }

  /**
   * Runs `action` on the live connection, waiting for it after a drop. When the connection drops
   * under the action: it runs again on the next connection if `repeatable`, else this fails with
   * an 'unreachable' error saying it was not repeated. With `needsConnection` false (a pause) it
   * runs to its end whatever happens to the connection meanwhile.
   */
  async run<T>(what: string, o: { repeatable: boolean; needsConnection: boolean }, action: (c: C) => Promise<T>): Promise<T> {
    for (;;) {
      // A pause does not wait for a connection either: its time passes while reconnecting.
      if (!o.needsConnection) return action(this.latestConnection);
      const c = await this.connection();
      const running = action(c);
      running.catch(() => {});
      try {
        return await Promise.race([running, this.lost(c)]);
      } catch (e) {
        // One channel's connection ending (kind 'unreachable') is often the first sign of the
        // whole server going: the main channel's end may follow a moment later. Give it that
        // moment before calling the failure the action's own.
        if (!this.hasLost(c) && isSpiceError(e) && e.kind === 'unreachable') await Promise.race([this.lost(c).catch(() => {}), sleep(LOSS_GRACE_MS)]);
        // Whatever the action failed with, a connection that went under it is the cause.
        if (!this.hasLost(c)) throw e;
        // Without reconnecting, this rejects with why the connection went.
        if (!this.o.reconnect) await this.current;
        const reason = (e as Error).message;
        if (!o.repeatable) {
          throw new SpiceError(
            'unreachable',
            `the connection to ${this.o.where} was lost during ${what} (${reason}); it is not repeated after reconnecting, since part of it may already have reached the guest`,
          );
        }
        this.o.logger.info({ action: what, reason }, 'connection lost during the action; repeating it on the next connection');
      }
    }
  }

  /** No more attempts; the caller closes the latest session. */
  stop(): void {
    this.stopped = true;
  }

  private watch(c: C): void {
    this.backoff.linked(Date.now());
    const entry = { lost: false, promise: null as unknown as Promise<never> };
    entry.promise = new Promise<never>((_, reject) => {
      const off = c.session.events.on('closed', ({ error }) => {
        off();
        entry.lost = true;
        reject(new ConnectionLost(error));
        this.dropped(error);
      });
    });
    // Nobody may be racing against it when it rejects.
    entry.promise.catch(() => {});
    this.lostOf.set(c, entry);
  }

  private dropped(error: Error | undefined): void {
    if (this.stopped) return;
    if (reconnectVerdict(error, 'session') !== 'retry') {
      this.current = Promise.reject(error ?? new SpiceError('protocol', `the session with ${this.o.where} closed`));
    } else if (!this.o.reconnect) {
      this.current = Promise.reject(new SpiceError('unreachable', `the connection to ${this.o.where} was lost (${error?.message}); --reconnect links again and goes on`));
    } else {
      this.o.notify(`spicedesk: connection to ${this.o.where} lost (${error?.message}); reconnecting`);
      this.current = this.reconnect(error!);
    }
    this.current.catch(() => {});
  }

  private async reconnect(cause: Error): Promise<C> {
    const started = Date.now();
    const giveUpAt = started + this.o.budgetMs;
    this.backoff.dropped(started);
    let last: Error = cause;
    for (;;) {
      const { attempt, delayMs } = this.backoff.next();
      if (Date.now() + delayMs > giveUpAt) throw this.gaveUp(last);
      this.o.logger.info({ where: this.o.where, attempt, delayMs }, 'reconnecting');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (this.stopped) throw new SpiceError('internal', 'reconnecting was stopped');
      try {
        const c = await this.o.relink();
        if (this.stopped) {
          void c.session.close();
          throw new SpiceError('internal', 'reconnecting was stopped');
        }
        this.latestConnection = c;
        this.watch(c);
        this.o.notify(`spicedesk: reconnected to ${this.o.where} (attempt ${attempt}, ${((Date.now() - started) / 1000).toFixed(1)} s after the loss)`);
        return c;
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        if (reconnectVerdict(error, 'link') !== 'retry') throw error;
        this.o.logger.info({ where: this.o.where, attempt, err: error.message }, 'reconnect attempt failed');
        last = error;
      }
    }
  }

  private gaveUp(last: Error): SpiceError {
    // Whatever the last attempt met, the server stayed out of reach: exit 3.
    return new SpiceError('unreachable', `could not reconnect to ${this.o.where} within ${Math.round(this.o.budgetMs / 1000)} s: ${last.message}`);
  }
}
