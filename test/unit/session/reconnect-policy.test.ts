// The reconnect policy: which endings are worth another attempt, and the delays between attempts.
// The errors are the ones the code really produces where it can make them here (a byte queue whose
// connection ends, a session whose main channel ends); the rest are built as their sources build them.
import { describe, expect, it } from 'vitest';
import { MainMsg } from '../../../src/protocol/channels/main/main-messages.ts';
import { LocalDisplaySink } from '../../../src/protocol/display/local-display-sink.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import { ReconnectBackoff, reconnectVerdict } from '../../../src/protocol/session/reconnect-policy.ts';
import { Session } from '../../../src/protocol/session/session.ts';
import { ByteQueue } from '../../../src/protocol/wire/byte-queue.ts';
import { ProtocolError, SpiceError } from '../../../src/protocol/wire/errors.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { nodeTicketCrypto } from '../../../src/main/node/ticket-crypto.ts';
import { fakeLinkServer } from '../../helpers/fake-link-server.ts';
import { MemoryTransport } from '../../helpers/memory-transport.ts';
import { miniMessage } from '../../helpers/server-messages.ts';
import { waitUntil } from '../../helpers/wait.ts';

async function connectionEndedError(): Promise<Error> {
  const t = new MemoryTransport();
  const q = new ByteQueue(t, 'main channel');
  const pending = q.read(4);
  t.end();
  return pending.then(
    () => new Error('the read did not fail'),
    (e: Error) => e,
  );
}

/** The error a linked session's 'closed' event carries when the server side of main just ends. */
async function serverClosedSessionError(): Promise<Error | undefined> {
  let main: MemoryTransport | undefined;
  let mainTicket: { password?: string } | undefined;
  const session = new Session({
    connector: async ({ channelType }) => {
      const { transport, received } = fakeLinkServer();
      if (channelType === 1) {
        main = transport;
        mainTicket = received;
      }
      return transport;
    },
    crypto: nodeTicketCrypto,
    logger: silentLogger,
    displaySink: new LocalDisplaySink({ logger: silentLogger }),
    where: 'memory',
  });
  const closed = new Promise<Error | undefined>((resolve) => session.events.on('closed', ({ error }) => resolve(error)));
  const linked = session.connect();
  // The fake server has the ticket: the link result is on its way, so INIT follows it.
  await waitUntil('the main channel linking', () => mainTicket?.password !== undefined, 5000);
  main!.feed(miniMessage(MainMsg.INIT, new WireWriter().u32(7).u32(0).u32(1).u32(1).u32(0).u32(10).u32(0).u32(0).finish()));
  main!.feed(miniMessage(MainMsg.CHANNELS_LIST, new WireWriter().u32(0).finish()));
  await linked;
  main!.end();
  return closed;
}

describe('reconnectVerdict', () => {
  it('retries when the connection of a linked session ends or the session is closed by the server', async () => {
    expect(reconnectVerdict(await connectionEndedError(), 'session')).toBe('retry');
    const closed = await serverClosedSessionError();
    expect(closed).toBeInstanceOf(SpiceError);
    expect(reconnectVerdict(closed, 'session')).toBe('retry');
  });

  it('retries a network failure, in either phase', () => {
    const reset = new SpiceError('unreachable', 'main channel to 127.0.0.1:5900 failed: read ECONNRESET');
    const refused = new SpiceError('unreachable', 'connection refused by 127.0.0.1:5900: is the SPICE server running on that port?');
    for (const phase of ['session', 'link'] as const) {
      expect(reconnectVerdict(reset, phase)).toBe('retry');
      expect(reconnectVerdict(refused, phase)).toBe('retry');
    }
    expect(reconnectVerdict(new SpiceError('timeout', 'no answer in time'), 'link')).toBe('retry');
  });

  it('a server closing the connection during a link attempt is a server still starting: retry', async () => {
    expect(reconnectVerdict(await connectionEndedError(), 'link')).toBe('retry');
  });

  it('gives up on what a retry cannot change', () => {
    const cases: Error[] = [
      new SpiceError('usage', 'the password is longer than SPICE allows (60 bytes)'),
      new SpiceError('tls', 'the certificate of h:1 has expired'),
      new SpiceError('protocol', 'the server at h:1 does not speak a protocol version this client supports (main channel)'),
      new SpiceError('protocol', 'h:1 is not a SPICE server: its reply starts with 0x48545450 instead of "REDQ"'),
      new SpiceError('internal', 'a bug'),
      new Error('not a SpiceError'),
    ];
    for (const e of cases) {
      expect(reconnectVerdict(e, 'link'), e.message).toBe('give-up');
      expect(reconnectVerdict(e, 'session'), e.message).toBe('give-up');
    }
  });

  it('gives up on malformed data even when its text mentions a closed connection', () => {
    const e = new ProtocolError('the server closed the main channel connection', 10, { channel: 'main' });
    expect(reconnectVerdict(e, 'session')).toBe('give-up');
  });

  it('gives up on a session the client closed (no error)', () => {
    expect(reconnectVerdict(undefined, 'session')).toBe('give-up');
  });

  it('a refused password while linking again is a question for the user', () => {
    const refused = new SpiceError('auth', 'the server at h:1 refused the password (wrong or expired ticket)');
    expect(reconnectVerdict(refused, 'link')).toBe('ask-password');
  });
});

describe('ReconnectBackoff', () => {
  it('doubles from 1 s up to 30 s, numbering the attempts', () => {
    const b = new ReconnectBackoff();
    const series = Array.from({ length: 8 }, () => b.next());
    expect(series).toEqual([
      { attempt: 1, delayMs: 1000 },
      { attempt: 2, delayMs: 2000 },
      { attempt: 3, delayMs: 4000 },
      { attempt: 4, delayMs: 8000 },
      { attempt: 5, delayMs: 16000 },
      { attempt: 6, delayMs: 30000 },
      { attempt: 7, delayMs: 30000 },
      { attempt: 8, delayMs: 30000 },
    ]);
  });

  it('stays at the cap however many attempts fail', () => {
    const b = new ReconnectBackoff({ firstDelayMs: 500, factor: 3, maxDelayMs: 20_000, stableAfterMs: 0 });
    let last = { attempt: 0, delayMs: 0 };
    for (let i = 0; i < 2000; i++) last = b.next();
    expect(last).toEqual({ attempt: 2000, delayMs: 20_000 });
  });

  it('starts over after a session that stayed up, not after one that dropped at once', () => {
    const b = new ReconnectBackoff({ firstDelayMs: 1000, factor: 2, maxDelayMs: 30_000, stableAfterMs: 10_000 });
    b.next();
    b.next();
    b.linked(100_000);
    b.dropped(103_000); // up 3 s: a flapping server
    expect(b.next()).toEqual({ attempt: 3, delayMs: 4000 });
    b.linked(200_000);
    b.dropped(215_000); // up 15 s
    expect(b.next()).toEqual({ attempt: 1, delayMs: 1000 });
  });

  it('refuses settings that make no series', () => {
    expect(() => new ReconnectBackoff({ firstDelayMs: 1000, factor: 0.5, maxDelayMs: 30_000, stableAfterMs: 0 })).toThrow(RangeError);
    expect(() => new ReconnectBackoff({ firstDelayMs: 1000, factor: 2, maxDelayMs: 10, stableAfterMs: 0 })).toThrow(RangeError);
  });
});
