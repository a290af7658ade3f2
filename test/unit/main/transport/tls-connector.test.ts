// Which port the connector opens for each channel: plain by default, TLS for secure-channels,
// spice+tls and the server's NEED_SECURED, and a clear error when TLS is wanted without a tls-port.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { planConnection } from '../../../../src/main/connect/connector.ts';
import { emptyProfile } from '../../../../src/protocol/profile/index.ts';
import type { ConnectionProfile } from '../../../../src/protocol/profile/index.ts';
import { ChannelType } from '../../../../src/protocol/link/constants.ts';

interface CountingServer {
  port: number;
  accepted: number;
  server: Server;
}

const servers: CountingServer[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.server.close();
});

async function countingServer(): Promise<CountingServer> {
  const counting: CountingServer = { port: 0, accepted: 0, server: createServer() };
  // Closing at once makes a TLS client fail its handshake quickly; a plain client just gets a socket.
  counting.server.on('connection', (socket) => {
    counting.accepted++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => counting.server.listen(0, '127.0.0.1', resolve));
  const address = counting.server.address();
  counting.port = typeof address === 'object' && address ? address.port : 0;
  servers.push(counting);
  return counting;
}

function profile(overrides: Partial<ConnectionProfile>): ConnectionProfile {
  return { ...emptyProfile('uri'), host: '127.0.0.1', ...overrides };
}

async function attempt(p: ConnectionProfile, channelType: number, tls: boolean, unsecured = false): Promise<Error | undefined> {
  try {
    const plan = planConnection(p, { timeoutMs: 2000, env: {} });
    const transport = await plan.connector({ channelType, channelId: 0, tls, unsecured });
    transport.close();
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

describe('planConnection with TLS', () => {
  it('opens the plain port by default and the TLS port when asked', async () => {
    const plain = await countingServer();
    const secure = await countingServer();
    const p = profile({ port: plain.port, tlsPort: secure.port });
    expect(await attempt(p, ChannelType.DISPLAY, false)).toBeUndefined();
    expect([plain.accepted, secure.accepted]).toEqual([1, 0]);
    const err = await attempt(p, ChannelType.DISPLAY, true);
    expect(err).toMatchObject({ kind: 'tls' });
    expect([plain.accepted, secure.accepted]).toEqual([1, 1]);
  });

  it('sends the channels named in secure-channels (and only those) to the TLS port', async () => {
    const plain = await countingServer();
    const secure = await countingServer();
    const p = profile({ port: plain.port, tlsPort: secure.port, secureChannels: ['main', 'inputs'] });
    await attempt(p, ChannelType.MAIN, false);
    await attempt(p, ChannelType.INPUTS, false);
    await attempt(p, ChannelType.DISPLAY, false);
    expect([plain.accepted, secure.accepted]).toEqual([1, 2]);
  });

  it('secure-channels=all and spice+tls put every channel on TLS', async () => {
    const plain = await countingServer();
    const secure = await countingServer();
    for (const p of [profile({ port: plain.port, tlsPort: secure.port, secureChannels: ['all'] }), profile({ port: plain.port, tlsPort: secure.port, tlsOnly: true })]) {
      await attempt(p, ChannelType.DISPLAY, false);
      await attempt(p, ChannelType.CURSOR, false);
    }
    expect([plain.accepted, secure.accepted]).toEqual([0, 4]);
  });

  it('says so when TLS is needed and the profile has no tls-port', async () => {
    const plain = await countingServer();
    const err = await attempt(profile({ port: plain.port }), ChannelType.MAIN, true);
    expect(err).toMatchObject({ kind: 'tls' });
    expect(err?.message).toMatch(/requires TLS for the main channel, but the profile has no tls-port/);
  });

  it('refuses a malformed host-subject before connecting', async () => {
    const secure = await countingServer();
    const err = await attempt(profile({ tlsPort: secure.port, hostSubject: 'CN' }), ChannelType.MAIN, false);
    expect(err).toMatchObject({ kind: 'tls' });
    expect(err?.message).toMatch(/host-subject "CN" cannot be read/);
    expect(secure.accepted).toBe(0);
  });

  it('NEED_UNSECURED: a channel secure-channels sent to TLS goes to the plain port', async () => {
    const plain = await countingServer();
    const secure = await countingServer();
    const p = profile({ port: plain.port, tlsPort: secure.port, secureChannels: ['all'] });
    expect(await attempt(p, ChannelType.CURSOR, false, true)).toBeUndefined();
    expect([plain.accepted, secure.accepted]).toEqual([1, 0]);
  });

  it('NEED_UNSECURED with spice+tls:// or without a plain port: a TLS error naming the channel, nothing opened', async () => {
    const plain = await countingServer();
    const secure = await countingServer();
    const tlsOnly = await attempt(profile({ port: plain.port, tlsPort: secure.port, tlsOnly: true }), ChannelType.CURSOR, false, true);
    expect(tlsOnly).toMatchObject({ kind: 'tls' });
    expect(tlsOnly?.message).toMatch(/refuses TLS for the cursor channel \(NEED_UNSECURED\), but a spice\+tls:\/\/ target allows TLS only/);
    const noPlain = await attempt(profile({ tlsPort: secure.port }), ChannelType.INPUTS, false, true);
    expect(noPlain).toMatchObject({ kind: 'tls' });
    expect(noPlain?.message).toMatch(/refuses TLS for the inputs channel \(NEED_UNSECURED\), but the profile has no plain port/);
    expect([plain.accepted, secure.accepted]).toEqual([0, 0]);
  });
});
