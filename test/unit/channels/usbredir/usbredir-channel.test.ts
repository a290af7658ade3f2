import { describe, expect, it } from 'vitest';
import { UsbredirChannel, type UsbredirDeviceHandler } from '../../../../src/protocol/channels/usbredir/usbredir-channel.ts';
import { encodeLz4Block } from '../../../../src/protocol/codecs/lz4-encode.ts';
import { decodeLz4Block } from '../../../../src/protocol/codecs/lz4.ts';
import type { UsbredirPacket } from '../../../../src/protocol/usbredir/usbredir-packets.ts';
import { UsbredirStream } from '../../../../src/protocol/usbredir/usbredir-stream.ts';
import { ProtocolError } from '../../../../src/protocol/wire/errors.ts';
import { memoryChannelHost } from '../../../helpers/channel-host.ts';
import { fakeLinkServer } from '../../../helpers/fake-link-server.ts';
import { concat, type MemoryTransport } from '../../../helpers/memory-transport.ts';
import { miniMessage, parseClientMiniMessages } from '../../../helpers/server-messages.ts';
import { rng } from '../../../helpers/random.ts';
import { waitUntil } from '../../../helpers/wait.ts';

// spicevmc numbers (spice.proto): DATA 101 and COMPRESSED_DATA 102 both ways; cap LZ4 = 0.
const DATA = 101;
const COMPRESSED_DATA = 102;

async function linked(serverLz4 = true) {
  const { transport, received } = fakeLinkServer({ channelCaps: serverLz4 ? [1] : [] });
  const ch = new UsbredirChannel(memoryChannelHost(transport), 1);
  await ch.connect(7);
  const link = received.linkMess!;
  const view = new DataView(link.buffer, link.byteOffset + 16);
  // connection id, type 9, id 1, and one channel cap word with LZ4 (bit 0).
  expect([view.getUint32(0, true), view.getUint8(4), view.getUint8(5)]).toEqual([7, 9, 1]);
  expect(view.getUint32(10, true)).toBe(1);
  const run = ch.run();
  run.catch(() => {});
  const guest = new UsbredirStream({ role: 'guest', version: 'qemu usb-redir guest 7.2.22', caps: 0xff });
  return { ch, t: transport, run, guest };
}

/** The usbredir stream the client wrote, decoded from DATA and COMPRESSED_DATA. */
function clientStream(t: MemoryTransport): { bytes: Uint8Array; types: number[] } {
  // The link stage's writes (link message, auth mechanism, the 128-byte ticket) come first.
  const afterLink = t.written.slice(t.written.findIndex((w) => w.byteLength === 128) + 1);
  const messages = parseClientMiniMessages(concat(afterLink)).filter((m) => m.type === DATA || m.type === COMPRESSED_DATA);
  const parts: number[] = [];
  for (const m of messages) {
    if (m.type === DATA) parts.push(...m.body);
    else {
      expect(m.body[0]).toBe(1);
      const size = new DataView(m.body.buffer, m.body.byteOffset + 1).getUint32(0, true);
      const out = new Uint8Array(size);
      expect(decodeLz4Block(m.body, 5, m.body.byteLength, out, 0, size)).toBe(size);
      parts.push(...out);
    }
  }
  return { bytes: Uint8Array.from(parts), types: messages.map((m) => m.type) };
}

const lz4Message = (bytes: Uint8Array): Uint8Array => {
  const block = encodeLz4Block(bytes);
  const body = new Uint8Array(5 + block.byteLength);
  body[0] = 1;
  new DataView(body.buffer).setUint32(1, bytes.byteLength, true);
  body.set(block, 5);
  return miniMessage(COMPRESSED_DATA, body);
};

describe('usbredir channel', () => {
  it('says hello at once as the usb-host, reads the guest hello and filter, in DATA or LZ4 COMPRESSED_DATA', async () => {
    const { ch, t, guest } = await linked();
    await waitUntil('our hello', () => clientStream(t).bytes.byteLength >= 80);
    const fromClient = guest.feed(clientStream(t).bytes);
    expect(fromClient[0]).toMatchObject({ type: 'hello', version: 'spicedesk usb-host' });
    expect(guest.peerCaps).toBe(0b0111_1110);
    const hello = guest.hello();
    t.feed(miniMessage(DATA, hello.subarray(0, 30)));
    t.feed(miniMessage(DATA, hello.subarray(30)));
    await ch.whenHello();
    expect(ch.helloDone).toBe(true);
    // A filter long enough that the server would compress it.
    const filter = Array.from({ length: 60 }, (_, i) => `-1,0x${(0x1000 + i).toString(16)},-1,-1,0`).join('|') + '|0x03,-1,-1,-1,0|-1,-1,-1,-1,1';
    t.feed(lz4Message(guest.encode({ type: 'filter_filter', id: 0n, filter })));
    await waitUntil('the filter', () => ch.guestFilter !== null);
    expect(ch.guestFilter?.rules).toHaveLength(62);
    expect(ch.counts).toMatchObject({ dataIn: 2, compressedIn: 1 });
  });

  it('gives packets to the attached device and compresses writes over 1000 bytes when the server has LZ4', async () => {
    const { ch, t, guest } = await linked();
    t.feed(miniMessage(DATA, guest.hello()));
    await ch.whenHello();
    guest.feed(clientStream(t).bytes);
    const got: UsbredirPacket[] = [];
    const handler: UsbredirDeviceHandler = { packet: (p) => got.push(p), channelClosed: () => {} };
    ch.attach(handler);
    expect(() => ch.attach({ packet: () => {}, channelClosed: () => {} })).toThrow(/already has a device/);
    const request: UsbredirPacket = { type: 'bulk_packet', id: 5n, endpoint: 0x81, status: 0, length: 4096, streamId: 0, data: new Uint8Array(0) };
    t.feed(miniMessage(DATA, guest.encode(request)));
    await waitUntil('the request', () => got.length === 1);
    expect(got[0]).toEqual(request);
    const written = t.written.length;
    ch.sendPacket({ ...request, data: new Uint8Array(4096).fill(9) });
    ch.sendPacket({ type: 'interrupt_packet', id: 0n, endpoint: 0x81, status: 0, length: 8, data: new Uint8Array(8) });
    const { types } = clientStream(t);
    expect(types.slice(-2)).toEqual([COMPRESSED_DATA, DATA]);
    expect(t.written.length).toBe(written + 2);
    const back = guest.feed(clientStream(t).bytes.subarray(80));
    expect(back.map((p) => p.type)).toEqual(['bulk_packet', 'interrupt_packet']);
    expect(back[0].type === 'bulk_packet' && back[0].data).toEqual(new Uint8Array(4096).fill(9));
    // Data LZ4 cannot shrink (a CD's noise) goes as plain DATA, byte for byte, in one message.
    const random = rng(3);
    const noise = Uint8Array.from({ length: 120 * 1024 }, () => random() & 0xff);
    ch.sendPacket({ ...request, id: 6n, length: noise.byteLength, data: noise });
    expect(clientStream(t).types.at(-1)).toBe(DATA);
    expect(t.written.length).toBe(written + 3);
    const again = guest.feed(clientStream(t).bytes.subarray(80)).at(-1);
    expect(again?.type === 'bulk_packet' && again.data).toEqual(noise);
  });

  it('sends plain DATA to a server without the LZ4 cap', async () => {
    const { ch, t, guest } = await linked(false);
    t.feed(miniMessage(DATA, guest.hello()));
    await ch.whenHello();
    ch.attach({ packet: () => {}, channelClosed: () => {} });
    ch.sendPacket({ type: 'bulk_packet', id: 1n, endpoint: 0x81, status: 0, length: 4096, streamId: 0, data: new Uint8Array(4096) });
    expect(clientStream(t).types.every((type) => type === DATA)).toBe(true);
  });

  it('ends only this channel on bad bytes, naming the packet, and tells the device', async () => {
    const { ch, t, run, guest } = await linked();
    t.feed(miniMessage(DATA, guest.hello()));
    await ch.whenHello();
    const closed: (Error | null)[] = [];
    ch.attach({ packet: () => {}, channelClosed: (e) => closed.push(e) });
    const lying = new Uint8Array(16);
    new DataView(lying.buffer).setUint32(0, 100, true);
    new DataView(lying.buffer).setUint32(4, 0x7fffffff, true);
    t.feed(miniMessage(DATA, lying));
    await expect(run).rejects.toThrow(ProtocolError);
    await expect(run).rejects.toThrow(/control_packet declares .* more than the 65535 accepted .*usbredir:1 channel/);
    expect(closed).toHaveLength(1);
    expect(closed[0]?.message).toMatch(/control_packet/);
    expect(ch.device).toBeNull();
  });

  it('refuses COMPRESSED_DATA that lies about its size or type, before allocating it', async () => {
    for (const [body, pattern] of [
      [Uint8Array.of(1, 0xff, 0xff, 0xff, 0x7f, 0x10), /more than the 1048576 accepted/],
      [Uint8Array.of(1, 0x00, 0x10, 0x00, 0x00, 0x10), /more than LZ4 can expand to/],
      [Uint8Array.of(7), /unknown compression type 7/],
      [Uint8Array.of(1, 8, 0, 0, 0, 0x30, 1, 2, 3), /LZ4 block is corrupt|decodes to 3 bytes/],
    ] as const) {
      const { run, t } = await linked();
      t.feed(miniMessage(COMPRESSED_DATA, body));
      await expect(run).rejects.toThrow(pattern);
    }
  });
});
