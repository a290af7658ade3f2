// A Session over in-memory connections: each link is answered by fakeLinkServer, the main channel
// gets INIT and a CHANNELS_LIST of the given channels, and every connection the session opens is
// kept by channel type, in order (a channel linked again adds one). For the tests of a channel in
// its session (cursor, sound, relink) without a real server.
import type { AudioCapabilities } from '../../src/protocol/audio/audio-format.ts';
import { MainMsg } from '../../src/protocol/channels/main/main-messages.ts';
import { LocalDisplaySink } from '../../src/protocol/display/local-display-sink.ts';
import { ChannelType } from '../../src/protocol/link/constants.ts';
import { silentLogger } from '../../src/protocol/logger.ts';
import { Session } from '../../src/protocol/session/session.ts';
import { WireWriter } from '../../src/protocol/wire/writer.ts';
import { nodeTicketCrypto } from '../../src/main/node/ticket-crypto.ts';
import { fakeLinkServer } from './fake-link-server.ts';
import type { MemoryTransport } from './memory-transport.ts';
import { miniMessage } from './server-messages.ts';
import { waitUntil } from './wait.ts';

export interface MemorySession {
  session: Session;
  /** Every connection opened for a channel type, oldest first (the same array, growing). */
  links: (type: number) => MemoryTransport[];
  /** What the client sent in each link of a channel type (its link message, the password). */
  received: (type: number) => { linkMess?: Uint8Array; password?: string }[];
}

export interface MemorySessionOptions {
  /** [type, id] pairs of the CHANNELS_LIST. */
  channels: readonly (readonly [number, number])[];
  /** The channel caps the fake server announces to a channel type (bit masks in one word). */
  channelCaps?: (type: number) => number[];
  audio?: AudioCapabilities;
}

/** Links a session with the listed channels and waits until each is linked. */
export async function memorySession(o: MemorySessionOptions): Promise<MemorySession> {
  const links = new Map<number, MemoryTransport[]>();
  const received = new Map<number, { linkMess?: Uint8Array; password?: string }[]>();
  const session = new Session({
    connector: async ({ channelType }) => {
      const server = fakeLinkServer({ channelCaps: o.channelCaps?.(channelType) ?? [] });
      // Pushed in place: a test may hold a type's array and watch it grow as channels link again.
      if (!links.has(channelType)) links.set(channelType, []);
      if (!received.has(channelType)) received.set(channelType, []);
      links.get(channelType)!.push(server.transport);
      received.get(channelType)!.push(server.received);
      return server.transport;
    },
    crypto: nodeTicketCrypto,
    logger: silentLogger,
    displaySink: new LocalDisplaySink({ logger: silentLogger }),
    where: 'memory',
    ...(o.audio ? { audio: o.audio } : {}),
  });
  const connecting = session.connect();
  await waitUntil('the main channel linking', () => received.get(ChannelType.MAIN)?.[0]?.password !== undefined, 5000);
  const main = links.get(ChannelType.MAIN)![0];
  main.feed(miniMessage(MainMsg.INIT, new WireWriter().u32(0x77).u32(0).u32(1).u32(1).u32(0).u32(10).u32(0).u32(0).finish()));
  const list = new WireWriter().u32(o.channels.length);
  for (const [type, id] of o.channels) list.u8(type).u8(id);
  main.feed(miniMessage(MainMsg.CHANNELS_LIST, list.finish()));
  await connecting;
  await waitUntil('every listed channel linked', () => o.channels.every(([type, id]) => session.status.get(`${type}:${id}`)?.state === 'linked'), 5000);
  const listOf = <T>(m: Map<number, T[]>, type: number): T[] => {
    if (!m.has(type)) m.set(type, []);
    return m.get(type)!;
  };
  return { session, links: (type) => listOf(links, type), received: (type) => listOf(received, type) };
}
