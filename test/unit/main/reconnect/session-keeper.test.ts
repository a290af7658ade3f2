// SessionKeeper (do --reconnect) with fake sessions: the loss line at once, an interrupted
// repeatable action run again on the new connection, an interrupted keystroke refused, a pause
// not interrupted, the budget, and the plain message without --reconnect.
import { describe, expect, it } from 'vitest';
import { Emitter } from '../../../../src/protocol/emitter.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { Session, SessionEvents } from '../../../../src/protocol/session/session.ts';
import { SpiceError } from '../../../../src/protocol/wire/errors.ts';
import { SessionKeeper } from '../../../../src/main/reconnect/session-keeper.ts';
import { sleep, waitUntil, watchForNothing } from '../../../helpers/wait.ts';

interface FakeConnection {
  session: Session;
  n: number;
  drop(error: Error): void;
}

let made = 0;
function connection(): FakeConnection {
  const events = new Emitter<SessionEvents>();
  const n = ++made;
  return { session: { events, close: () => events.emit('closed', {}) } as unknown as Session, n, drop: (error) => events.emit('closed', { error }) };
}

const serverGone = (): SpiceError => new SpiceError('protocol', 'the server closed the main channel connection');
const refused = (): SpiceError => new SpiceError('unreachable', 'connection refused by h:1');
const fast = { firstDelayMs: 10, factor: 2, maxDelayMs: 40, stableAfterMs: 60_000 };

function keeper(first: FakeConnection, relink: () => Promise<FakeConnection>, reconnect = true, budgetMs = 2000) {
  const lines: string[] = [];
  const k = new SessionKeeper(first, { where: 'h:1', reconnect, relink, budgetMs, notify: (l) => lines.push(l), logger: silentLogger, backoff: fast });
  return { k, lines };
}

describe('SessionKeeper', () => {
  it('reports the loss at once and repeats an interrupted repeatable action on the new connection', async () => {
    const first = connection();
    const second = connection();
    let attempts = 0;
    const { k, lines } = keeper(first, async () => {
      attempts++;
      if (attempts < 3) throw refused();
      return second;
    });
    const ranOn: number[] = [];
    const result = k.run('capture', { repeatable: true, needsConnection: true }, async (c) => {
      ranOn.push(c.n);
      if (c === first) return new Promise<string>(() => {}); // never finishes: the loss interrupts it
      return 'captured';
    });
    await waitUntil('the action running on the first connection', () => ranOn.length === 1, 5000);
    first.drop(serverGone());
    expect(lines).toEqual(['spicedesk: connection to h:1 lost (the server closed the main channel connection); reconnecting']);
    expect(await result).toBe('captured');
    expect(ranOn).toEqual([first.n, second.n]);
    expect(attempts).toBe(3);
    expect(lines[1]).toMatch(/^spicedesk: reconnected to h:1 \(attempt 3, \d+\.\d s after the loss\)$/);
    expect(k.latest).toBe(second);
  });

  it("repeats an action that failed because a channel's connection ended just before the session did", async () => {
    const first = connection();
    const second = connection();
    const { k } = keeper(first, async () => second);
    const ranOn: number[] = [];
    const result = k.run('expect', { repeatable: true, needsConnection: true }, async (c) => {
      ranOn.push(c.n);
      if (c === first) {
        // The display channel's end reaches the client first; the main channel's follows.
        setTimeout(() => first.drop(serverGone()), 50);
        throw new SpiceError('unreachable', 'the server closed the display channel connection');
      }
      return 'matched';
    });
    expect(await result).toBe('matched');
    expect(ranOn).toEqual([first.n, second.n]);
  });

  it("fails with the channel's own error when only that channel went (the session stays)", async () => {
    const first = connection();
    const { k } = keeper(first, async () => connection());
    const result = k.run('expect', { repeatable: true, needsConnection: true }, async () => {
      throw new SpiceError('unreachable', 'the server closed the display channel connection');
    });
    await expect(result).rejects.toThrow('the server closed the display channel connection');
    expect(k.hasLost(first)).toBe(false);
  });

  it('does not repeat an interrupted keystroke: it may have reached the guest', async () => {
    const first = connection();
    const { k } = keeper(first, async () => connection());
    const typing = k.run('type', { repeatable: false, needsConnection: true }, () => new Promise<null>(() => {}));
    first.drop(serverGone());
    await expect(typing).rejects.toThrow(
      'the connection to h:1 was lost during type (the server closed the main channel connection); it is not repeated after reconnecting, since part of it may already have reached the guest',
    );
  });

  it('lets a pause run out while it reconnects, and the next action waits for the new connection', async () => {
    const first = connection();
    const second = connection();
    const { k } = keeper(first, async () => second);
    const pause = k.run('wait', { repeatable: true, needsConnection: false }, async () => {
      await sleep(30); // the pause itself: a wait action's time
      return 'waited';
    });
    first.drop(serverGone());
    expect(await pause).toBe('waited');
    const next = await k.run('capture', { repeatable: true, needsConnection: true }, async (c) => c.n);
    expect(next).toBe(second.n);
  });

  it('gives up when the budget runs out, as unreachable with the last reason', async () => {
    const first = connection();
    const { k } = keeper(first, async () => Promise.reject(refused()), true, 100);
    first.drop(serverGone());
    const error = await k.connection().then(
      () => null,
      (e: SpiceError) => e,
    );
    expect(error?.kind).toBe('unreachable');
    expect(error?.message).toBe('could not reconnect to h:1 within 0 s: connection refused by h:1');
  });

  it('stops at a refusal a retry cannot change', async () => {
    const first = connection();
    const tls = new SpiceError('tls', 'the certificate of h:1 has expired');
    const { k } = keeper(first, async () => Promise.reject(tls));
    first.drop(serverGone());
    await expect(k.connection()).rejects.toBe(tls);
  });

  it('without --reconnect says the connection was lost and links nothing', async () => {
    const first = connection();
    let relinks = 0;
    const { k, lines } = keeper(first, async () => {
      relinks++;
      return connection();
    }, false);
    const action = k.run('capture', { repeatable: true, needsConnection: true }, () => new Promise<null>(() => {}));
    first.drop(serverGone());
    await expect(action).rejects.toThrow('the connection to h:1 was lost (the server closed the main channel connection); --reconnect links again and goes on');
    await watchForNothing(50);
    expect(relinks).toBe(0);
    expect(lines).toEqual([]);
  });

  it('a drop that is not worth retrying ends the script with its own error', async () => {
    const first = connection();
    const { k, lines } = keeper(first, async () => connection());
    const malformed = new SpiceError('usage', 'not retryable');
    first.drop(malformed);
    await expect(k.connection()).rejects.toBe(malformed);
    expect(lines).toEqual([]);
  });
});
