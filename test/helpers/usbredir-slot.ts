// One usbredir slot in memory with a scripted usb-guest (QEMU's side): the channel linked over a
// fake link server, the guest's hello sent, and a simulated keyboard on a simulated source. For
// the usb-host and redirector unit tests.
import { UsbredirChannel } from '../../src/protocol/channels/usbredir/usbredir-channel.ts';
import { decodeLz4Block } from '../../src/protocol/codecs/lz4.ts';
import type { UsbredirPacket } from '../../src/protocol/usbredir/usbredir-packets.ts';
import { UsbredirStream } from '../../src/protocol/usbredir/usbredir-stream.ts';
import { memoryChannelHost } from './channel-host.ts';
import { fakeLinkServer } from './fake-link-server.ts';
import { concat } from './memory-transport.ts';
import { miniMessage, parseClientMiniMessages } from './server-messages.ts';
import { waitUntil } from './wait.ts';
import { SimulatedKeyboard, SimulatedUsbSource } from '../peers/usb-simulated.ts';

/** A usb-guest in memory: QEMU's side of one slot. */
export async function slotWithGuest(guestCaps = 0xff, channelId = 0, filter?: string) {
  const { transport } = fakeLinkServer({ channelCaps: [1] });
  const channel = new UsbredirChannel(memoryChannelHost(transport), channelId);
  await channel.connect(1);
  void channel.run().catch(() => {});
  const guest = new UsbredirStream({ role: 'guest', version: 'test guest', caps: guestCaps });
  const received: UsbredirPacket[] = [];
  let seenWrites = transport.written.findIndex((w) => w.byteLength === 128) + 1;
  /** Parses what the client wrote since the last call. */
  const poll = (): UsbredirPacket[] => {
    const fresh = transport.written.slice(seenWrites);
    seenWrites = transport.written.length;
    for (const m of parseClientMiniMessages(concat(fresh))) {
      let bytes = m.body;
      if (m.type === 102) {
        const size = new DataView(m.body.buffer, m.body.byteOffset + 1).getUint32(0, true);
        bytes = new Uint8Array(size);
        decodeLz4Block(m.body, 5, m.body.byteLength, bytes, 0, size);
      }
      received.push(...guest.feed(bytes));
    }
    return received;
  };
  const send = (p: UsbredirPacket): void => transport.feed(miniMessage(101, guest.encode(p)));
  transport.feed(miniMessage(101, guest.hello()));
  await channel.whenHello();
  poll();
  if (filter !== undefined) {
    send({ type: 'filter_filter', id: 0n, filter });
    await waitUntil("the guest's filter", () => channel.guestFilter !== null);
  }
  const source = new SimulatedUsbSource();
  const keyboard = new SimulatedKeyboard();
  source.plug(keyboard);
  const types = (): string[] => poll().map((p) => p.type);
  const reply = async <T extends UsbredirPacket['type']>(type: T, after: number): Promise<Extract<UsbredirPacket, { type: T }>> => {
    await waitUntil(`a ${type} from the host`, () => poll().slice(after).some((p) => p.type === type));
    return poll().slice(after).find((p) => p.type === type) as Extract<UsbredirPacket, { type: T }>;
  };
  return { channel, guest, send, poll, types, reply, source, keyboard, transport };
}
