// Links one sound channel over an in-memory connection to a fake server with the given caps, and
// reads back what the client announced and sent.
import type { SpiceChannel } from '../../../../src/protocol/channel/channel.ts';
import { fakeLinkServer } from '../../../helpers/fake-link-server.ts';
import { memoryChannelHost } from '../../../helpers/channel-host.ts';
import type { MemoryTransport } from '../../../helpers/memory-transport.ts';
import { parseClientMiniMessages } from '../../../helpers/server-messages.ts';
import type { ChannelHost } from '../../../../src/protocol/channel/channel.ts';

/** The channel caps in the client's link message (SpiceLinkHeader 16 bytes, then SpiceLinkMess). */
export function announcedChannelCaps(linkMess: Uint8Array): number[] {
  const v = new DataView(linkMess.buffer, linkMess.byteOffset, linkMess.byteLength);
  const mess = 16;
  const common = v.getUint32(mess + 6, true);
  const channel = v.getUint32(mess + 10, true);
  const capsAt = mess + v.getUint32(mess + 14, true) + 4 * common;
  const caps: number[] = [];
  for (let i = 0; i < channel; i++) {
    const word = v.getUint32(capsAt + 4 * i, true);
    for (let b = 0; b < 32; b++) if (word & (1 << b)) caps.push(i * 32 + b);
  }
  return caps;
}

export async function linkedAudioChannel<C extends SpiceChannel>(make: (host: ChannelHost) => C, serverCaps: number[] = []) {
  const { transport, received } = fakeLinkServer({ channelCaps: serverCaps.length ? [serverCaps.reduce((w, b) => w | (1 << b), 0)] : [] });
  const channel = make(memoryChannelHost(transport));
  await channel.connect(1);
  const afterLink = transport.written.length;
  const running = channel.run().catch(() => {});
  return {
    channel,
    server: transport as MemoryTransport,
    announced: announcedChannelCaps(received.linkMess!),
    /** The messages the client sent after the link. */
    sent: () => parseClientMiniMessages(Uint8Array.from(transport.written.slice(afterLink).flatMap((c) => Array.from(c)))),
    close: async () => {
      await channel.close();
      await running;
    },
  };
}
