// The usbredir stream (what a guest sends the usb-host, spicedesk's side) and usbredirfilter
// strings (the guest's filter_filter, the .vv usb-filter). The channel that carries the stream is
// the `usbredir` channel target.
import { UsbredirCap } from '../../../src/protocol/usbredir/usbredir-constants.ts';
import { checkUsbredirFilter, parseUsbredirFilter, UsbredirFilterError } from '../../../src/protocol/usbredir/usbredir-filter.ts';
import type { UsbredirPacket } from '../../../src/protocol/usbredir/usbredir-packets.ts';
import { UsbredirStream } from '../../../src/protocol/usbredir/usbredir-stream.ts';
import { isSpiceError } from '../../../src/protocol/wire/errors.ts';
import { UsbredirChannel } from '../../../src/protocol/channels/usbredir/usbredir-channel.ts';
import { encodeLz4Block } from '../../../src/protocol/codecs/lz4-encode.ts';
import { miniMessage } from '../../helpers/server-messages.ts';
import type { FuzzTarget } from '../harness/fuzz-target.ts';
import { driveChannel } from './channel-driver.ts';
import { recordedTraffic } from './traffic.ts';

const ALL_CAPS = 0xff;

/** What QEMU's usb-redir sends a host, as one stream: hello, filter, a HID keyboard's enumeration, a disk's bulk traffic. */
export function usbredirGuestSeeds(): Uint8Array[] {
  const streams: Uint8Array[] = [];
  for (const guestCaps of [ALL_CAPS, 0, (1 << UsbredirCap.filter) | (1 << UsbredirCap.ep_info_max_packet_size)]) {
    const guest = new UsbredirStream({ role: 'guest', version: 'qemu usb-redir guest 7.2.22', caps: guestCaps });
    const host = new UsbredirStream({ role: 'host', version: 'spicedesk', caps: ALL_CAPS });
    guest.feed(host.hello());
    const packets: UsbredirPacket[] = [
      { type: 'reset', id: 1n },
      { type: 'control_packet', id: 2n, endpoint: 0x80, request: 6, requestType: 0x80, status: 0, value: 0x0100, index: 0, length: 64, data: new Uint8Array(0) },
      { type: 'control_packet', id: 3n, endpoint: 0x80, request: 6, requestType: 0x80, status: 0, value: 0x0200, index: 0, length: 34, data: new Uint8Array(0) },
      { type: 'set_configuration', id: 4n, configuration: 1 },
      { type: 'get_configuration', id: 5n },
      { type: 'set_alt_setting', id: 6n, interface: 0, alt: 0 },
      { type: 'get_alt_setting', id: 7n, interface: 0 },
      { type: 'control_packet', id: 8n, endpoint: 0x00, request: 0x0a, requestType: 0x21, status: 0, value: 0, index: 0, length: 0, data: new Uint8Array(0) },
      { type: 'control_packet', id: 9n, endpoint: 0x00, request: 0x09, requestType: 0x21, status: 0, value: 0x0200, index: 0, length: 1, data: Uint8Array.of(2) },
      { type: 'start_interrupt_receiving', id: 10n, endpoint: 0x81 },
      { type: 'stop_interrupt_receiving', id: 11n, endpoint: 0x81 },
      { type: 'bulk_packet', id: 12n, endpoint: 0x02, status: 0, length: 31, streamId: 0, data: new Uint8Array(31).fill(0x55) },
      { type: 'bulk_packet', id: 13n, endpoint: 0x81, status: 0, length: 512, streamId: 0, data: new Uint8Array(0) },
      { type: 'interrupt_packet', id: 14n, endpoint: 0x02, status: 0, length: 2, data: Uint8Array.of(1, 2) },
      { type: 'cancel_data_packet', id: 13n },
      { type: 'start_iso_stream', id: 15n, endpoint: 0x83, pktsPerUrb: 8, noUrbs: 2 },
      { type: 'iso_packet', id: 16n, endpoint: 0x03, status: 0, length: 3, data: Uint8Array.of(1, 2, 3) },
      { type: 'stop_iso_stream', id: 17n, endpoint: 0x83 },
      { type: 'alloc_bulk_streams', id: 18n, endpoints: 4, noStreams: 2 },
      { type: 'free_bulk_streams', id: 19n, endpoints: 4 },
    ];
    if (guestCaps & (1 << UsbredirCap.filter)) {
      packets.unshift({ type: 'filter_filter', id: 0n, filter: '0x03,-1,-1,-1,0|-1,-1,-1,-1,1' });
      packets.push({ type: 'filter_reject', id: 20n });
    }
    if (guestCaps & (1 << UsbredirCap.device_disconnect_ack)) packets.push({ type: 'device_disconnect_ack', id: 21n });
    if (guestCaps & (1 << UsbredirCap.bulk_receiving)) {
      packets.push({ type: 'start_bulk_receiving', id: 22n, streamId: 0, bytesPerTransfer: 16384, endpoint: 0x82, noTransfers: 2 });
      packets.push({ type: 'stop_bulk_receiving', id: 23n, streamId: 0, endpoint: 0x82 });
    }
    const parts = [guest.hello(), ...packets.map((p) => guest.encode(p))];
    streams.push(Uint8Array.from(parts.flatMap((p) => [...p])));
  }
  return streams;
}

const usbredirStreamTarget: FuzzTarget = {
  name: 'usbredir-stream',
  what: 'the usbredir byte stream a guest sends the usb-host (hello, caps, every packet type)',
  shape: 'bytes',
  seeds: usbredirGuestSeeds,
  quickCases: 1500,
  maxBytes: 1 << 20,
  run(input) {
    const host = new UsbredirStream({ role: 'host', version: 'spicedesk', caps: ALL_CAPS, maxBulkBytes: 1 << 20 });
    // In two pieces, so that a packet split across deliveries is exercised too.
    const cut = input.byteLength >> 1;
    const packets = [...host.feed(input.subarray(0, cut)), ...host.feed(input.subarray(cut))];
    for (const p of packets) {
      if (p.type !== 'filter_filter') continue;
      try {
        parseUsbredirFilter(p.filter);
      } catch (e) {
        if (!(e instanceof UsbredirFilterError)) throw e;
      }
    }
  },
};

const filterTarget: FuzzTarget = {
  name: 'usbredir-filter',
  what: 'usbredirfilter rule strings (filter_filter, .vv usb-filter) parsed and evaluated',
  shape: 'text',
  seeds: () => ['0x03,-1,-1,-1,0|-1,-1,-1,-1,1', '-1,0x0781,-1,-1,1', '||0x08,0x1234,0x5678,0x0100,1||', ' 010,+5,-1,-1,0'].map((s) => new TextEncoder().encode(s)),
  dictionary: [',', '|', '-1', '0x', '0X', '0', '+', '-', ' ', '\t', '0xff', '0x10000', '4294967296', '99999999999999999999999', ':'],
  quickCases: 1500,
  expected: (e) => e instanceof UsbredirFilterError || isSpiceError(e),
  run(input) {
    const rules = parseUsbredirFilter(new TextDecoder('latin1').decode(input));
    checkUsbredirFilter(rules, {
      deviceClass: 0, deviceSubclass: 0, deviceProtocol: 0, vendorId: 0x1234, productId: 0x5678, deviceVersionBcd: 0x100,
      interfaces: [{ class: 3, subclass: 0, protocol: 0 }, { class: 8, subclass: 6, protocol: 0x50 }],
    });
  },
};

const joined = (parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/** The guest streams as a server sends them: DATA pieces of odd sizes, and LZ4 COMPRESSED_DATA. */
function channelSeeds(): Uint8Array[] {
  return usbredirGuestSeeds().flatMap((stream) => {
    const pieces: Uint8Array[] = [];
    for (let at = 0, size = 7; at < stream.byteLength; at += size, size = size * 3 + 1) pieces.push(miniMessage(101, stream.subarray(at, at + size)));
    const block = encodeLz4Block(stream);
    const compressed = new Uint8Array(5 + block.byteLength);
    compressed[0] = 1;
    new DataView(compressed.buffer).setUint32(1, stream.byteLength, true);
    compressed.set(block, 5);
    return [joined(pieces), miniMessage(102, compressed), miniMessage(102, Uint8Array.from([0, ...stream]))];
  });
}

const usbredirChannelTarget: FuzzTarget = {
  name: 'usbredir',
  what: 'usbredir channel: SPICEVMC_DATA and LZ4 COMPRESSED_DATA into the usbredir stream, with a device attached',
  shape: 'messages',
  seeds: () => [...channelSeeds(), ...recordedTraffic('usbredir')],
  quickCases: 600,
  async run(input) {
    await driveChannel((host) => {
      const channel = new UsbredirChannel(host, 0);
      channel.attach({ packet: () => {}, channelClosed: () => {} });
      return channel;
    }, input, { channelCaps: [0] });
  },
};

export const usbredirTargets: readonly FuzzTarget[] = [usbredirChannelTarget, usbredirStreamTarget, filterTarget];
