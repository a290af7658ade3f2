import { describe, expect, it } from 'vitest';
import { UsbredirCap } from '../../../src/protocol/usbredir/usbredir-constants.ts';
import type { UsbredirEndpointInfo, UsbredirPacket } from '../../../src/protocol/usbredir/usbredir-packets.ts';
import { UsbredirStream } from '../../../src/protocol/usbredir/usbredir-stream.ts';
import { expectProtocolError } from '../../helpers/expect-protocol-error.ts';

const ALL_CAPS = 0xff;
const caps = (...bits: number[]): number => bits.reduce((w, b) => w | (1 << b), 0);

/** A host and a guest stream that exchanged hellos with these caps. */
function pair(hostCaps = ALL_CAPS, guestCaps = ALL_CAPS): { host: UsbredirStream; guest: UsbredirStream } {
  const host = new UsbredirStream({ role: 'host', version: 'spicedesk test host', caps: hostCaps });
  const guest = new UsbredirStream({ role: 'guest', version: 'qemu usb-redir guest 7.2.22', caps: guestCaps });
  expect(guest.feed(host.hello())).toEqual([{ type: 'hello', id: 0n, version: 'spicedesk test host', caps: [hostCaps] }]);
  expect(host.feed(guest.hello())).toEqual([{ type: 'hello', id: 0n, version: 'qemu usb-redir guest 7.2.22', caps: [guestCaps] }]);
  return { host, guest };
}

const endpoints = (): UsbredirEndpointInfo[] =>
  Array.from({ length: 32 }, (_, i) => ({ type: i === 0 || i === 16 ? 0 : i === 17 ? 3 : 255, interval: i === 17 ? 10 : 0, interface: 0, maxPacketSize: i === 17 ? 8 : i === 0 || i === 16 ? 64 : 0, maxStreams: 0 }));

describe('usbredir stream: hello and capability-dependent sizes', () => {
  it('the hello is 64 bytes of version plus the caps word, with a 32-bit id', () => {
    const hello = new UsbredirStream({ role: 'host', version: 'x', caps: 0xfe }).hello();
    expect(hello.byteLength).toBe(12 + 64 + 4);
    expect([...hello.subarray(0, 12)]).toEqual([0, 0, 0, 0, 68, 0, 0, 0, 0, 0, 0, 0]);
    expect(hello[12]).toBe('x'.charCodeAt(0));
    expect([...hello.subarray(76)]).toEqual([0xfe, 0, 0, 0]);
  });

  it('with every cap on both sides: 64-bit ids, 10-byte device_connect, 288-byte ep_info, 10-byte bulk header', () => {
    const { host, guest } = pair();
    const connect = host.encode({ type: 'device_connect', id: 0n, speed: 1, deviceClass: 0, deviceSubclass: 0, deviceProtocol: 0, vendorId: 0x1234, productId: 0x5678, deviceVersionBcd: 0x0111 });
    expect(connect.byteLength).toBe(16 + 10);
    expect(host.encode({ type: 'ep_info', id: 0n, endpoints: endpoints() }).byteLength).toBe(16 + 288);
    const bulk: UsbredirPacket = { type: 'bulk_packet', id: 0x1_0000_0001n, endpoint: 0x02, status: 0, length: 70000, streamId: 0, data: new Uint8Array(70000).fill(7) };
    const bytes = guest.encode(bulk);
    expect(bytes.byteLength).toBe(16 + 10 + 70000);
    expect(host.feed(bytes)).toEqual([bulk]);
    expect(guest.feed(connect)).toEqual([{ type: 'device_connect', id: 0n, speed: 1, deviceClass: 0, deviceSubclass: 0, deviceProtocol: 0, vendorId: 0x1234, productId: 0x5678, deviceVersionBcd: 0x0111 }]);
  });

  it('a cap counts only when both sides have it: 32-bit ids, 8-byte device_connect, 96/160-byte ep_info, 16-bit bulk lengths', () => {
    const { host, guest } = pair(ALL_CAPS, caps(UsbredirCap.filter, UsbredirCap.ep_info_max_packet_size));
    expect(host.encode({ type: 'device_connect', id: 5n, speed: 1, deviceClass: 0, deviceSubclass: 0, deviceProtocol: 0, vendorId: 1, productId: 2, deviceVersionBcd: 9 }).byteLength).toBe(12 + 8);
    const ep = host.encode({ type: 'ep_info', id: 0n, endpoints: endpoints() });
    expect(ep.byteLength).toBe(12 + 160);
    const parsed = guest.feed(ep)[0];
    expect(parsed.type === 'ep_info' && parsed.endpoints[17]).toEqual({ type: 3, interval: 10, interface: 0, maxPacketSize: 8, maxStreams: 0 });
    const { host: h2, guest: g2 } = pair(ALL_CAPS, 0);
    expect(h2.encode({ type: 'ep_info', id: 0n, endpoints: endpoints() }).byteLength).toBe(12 + 96);
    expect(() => g2.encode({ type: 'bulk_packet', id: 0n, endpoint: 2, status: 0, length: 70000, streamId: 0, data: new Uint8Array(70000) })).toThrow(/length/);
  });

  it('drops bulk_streams from a peer that lacks ep_info_max_packet_size (usbredirparser_verify_caps)', () => {
    const warnings: string[] = [];
    const host = new UsbredirStream({ role: 'host', version: 'h', caps: ALL_CAPS, warn: (t) => warnings.push(t) });
    const guest = new UsbredirStream({ role: 'guest', version: 'g', caps: caps(UsbredirCap.bulk_streams) });
    host.feed(guest.hello());
    expect(host.peerCaps).toBe(0);
    expect(warnings[0]).toMatch(/bulk_streams/);
  });

  it('round-trips every packet type in the direction it is sent, split into 1-byte pieces', () => {
    const { host, guest } = pair();
    const fromGuest: UsbredirPacket[] = [
      { type: 'reset', id: 1n },
      { type: 'set_configuration', id: 2n, configuration: 1 },
      { type: 'get_configuration', id: 3n },
      { type: 'set_alt_setting', id: 4n, interface: 1, alt: 2 },
      { type: 'get_alt_setting', id: 5n, interface: 1 },
      { type: 'start_iso_stream', id: 6n, endpoint: 0x83, pktsPerUrb: 8, noUrbs: 4 },
      { type: 'stop_iso_stream', id: 7n, endpoint: 0x83 },
      { type: 'start_interrupt_receiving', id: 8n, endpoint: 0x81 },
      { type: 'stop_interrupt_receiving', id: 9n, endpoint: 0x81 },
      { type: 'alloc_bulk_streams', id: 10n, endpoints: 0x30000, noStreams: 4 },
      { type: 'free_bulk_streams', id: 11n, endpoints: 0x30000 },
      { type: 'cancel_data_packet', id: 12n },
      { type: 'filter_reject', id: 13n },
      { type: 'filter_filter', id: 14n, filter: '0x03,-1,-1,-1,0|-1,-1,-1,-1,1' },
      { type: 'device_disconnect_ack', id: 15n },
      { type: 'start_bulk_receiving', id: 16n, streamId: 0, bytesPerTransfer: 16384, endpoint: 0x82, noTransfers: 4 },
      { type: 'stop_bulk_receiving', id: 17n, streamId: 0, endpoint: 0x82 },
      { type: 'control_packet', id: 18n, endpoint: 0x80, request: 6, requestType: 0x80, status: 0, value: 0x0100, index: 0, length: 18, data: new Uint8Array(0) },
      { type: 'control_packet', id: 19n, endpoint: 0x00, request: 9, requestType: 0x21, status: 0, value: 0x0200, index: 0, length: 1, data: Uint8Array.of(1) },
      { type: 'bulk_packet', id: 20n, endpoint: 0x02, status: 0, length: 3, streamId: 0, data: Uint8Array.of(1, 2, 3) },
      { type: 'bulk_packet', id: 21n, endpoint: 0x82, status: 0, length: 512, streamId: 0, data: new Uint8Array(0) },
      { type: 'iso_packet', id: 22n, endpoint: 0x03, status: 0, length: 2, data: Uint8Array.of(9, 9) },
      { type: 'interrupt_packet', id: 23n, endpoint: 0x01, status: 0, length: 1, data: Uint8Array.of(4) },
    ];
    const fromHost: UsbredirPacket[] = [
      { type: 'device_connect', id: 0n, speed: 2, deviceClass: 0xef, deviceSubclass: 2, deviceProtocol: 1, vendorId: 0xffff, productId: 0, deviceVersionBcd: 0x0200 },
      { type: 'device_disconnect', id: 0n },
      { type: 'interface_info', id: 0n, interfaces: [{ interface: 0, class: 3, subclass: 1, protocol: 1 }, { interface: 1, class: 8, subclass: 6, protocol: 0x50 }] },
      { type: 'ep_info', id: 0n, endpoints: endpoints().map((e, i) => ({ ...e, maxStreams: i })) },
      { type: 'configuration_status', id: 2n, status: 0, configuration: 1 },
      { type: 'alt_setting_status', id: 4n, status: 4, interface: 1, alt: 0 },
      { type: 'iso_stream_status', id: 6n, status: 0, endpoint: 0x83 },
      { type: 'interrupt_receiving_status', id: 8n, status: 0, endpoint: 0x81 },
      { type: 'bulk_streams_status', id: 10n, endpoints: 0x30000, noStreams: 4, status: 0 },
      { type: 'bulk_receiving_status', id: 16n, streamId: 0, endpoint: 0x82, status: 0 },
      { type: 'filter_filter', id: 0n, filter: '-1,-1,-1,-1,1' },
      { type: 'control_packet', id: 18n, endpoint: 0x80, request: 6, requestType: 0x80, status: 0, value: 0x0100, index: 0, length: 2, data: Uint8Array.of(18, 1) },
      { type: 'control_packet', id: 19n, endpoint: 0x00, request: 9, requestType: 0x21, status: 4, value: 0x0200, index: 0, length: 1, data: new Uint8Array(0) },
      { type: 'bulk_packet', id: 20n, endpoint: 0x02, status: 0, length: 3, streamId: 0, data: new Uint8Array(0) },
      { type: 'bulk_packet', id: 0xffff_ffff_ffffn, endpoint: 0x82, status: 0, length: 2, streamId: 0, data: Uint8Array.of(5, 6) },
      { type: 'iso_packet', id: 22n, endpoint: 0x83, status: 0, length: 1, data: Uint8Array.of(1) },
      { type: 'interrupt_packet', id: 0n, endpoint: 0x81, status: 0, length: 8, data: Uint8Array.of(0, 0, 4, 0, 0, 0, 0, 0) },
      { type: 'interrupt_packet', id: 23n, endpoint: 0x01, status: 0, length: 1, data: new Uint8Array(0) },
      { type: 'buffered_bulk_packet', id: 1n, streamId: 0, length: 4, endpoint: 0x82, status: 0, data: Uint8Array.of(1, 2, 3, 4) },
    ];
    const feedBytewise = (to: UsbredirStream, bytes: Uint8Array): UsbredirPacket[] => [...bytes].flatMap((b) => to.feed(Uint8Array.of(b)));
    for (const p of fromGuest) expect(feedBytewise(host, guest.encode(p))).toEqual([p]);
    for (const p of fromHost) expect(feedBytewise(guest, host.encode(p))).toEqual([p]);
    expect(host.pendingBytes).toBe(0);
  });
});

describe('usbredir stream: hostile input', () => {
  const header = (type: number, length: number, id = 0): Uint8Array => {
    const b = new Uint8Array(12);
    const v = new DataView(b.buffer);
    v.setUint32(0, type, true);
    v.setUint32(4, length, true);
    v.setUint32(8, id, true);
    return b;
  };
  const fresh = () => new UsbredirStream({ role: 'host', version: 'h', caps: ALL_CAPS, channel: 'usbredir:1' });

  it('a lying length is refused from the header alone, naming the packet', () => {
    const host = fresh();
    const e = expectProtocolError(() => host.feed(header(100, 0xfffffff0)), /usbredir control_packet/);
    expect(e.message).toMatch(/more than the 65535 accepted/);
    expect(host.pendingBytes).toBe(12);
    expectProtocolError(() => fresh().feed(header(101, 0x7fffffff)), /bulk_packet.*more than/);
    expectProtocolError(() => fresh().feed(header(0, 64 + 4096)), /hello/);
  });

  it('refuses unknown types, packets only the host sends, a short or padded fixed header', () => {
    expectProtocolError(() => fresh().feed(header(99, 0)), /unknown usbredir packet type 99/);
    expectProtocolError(() => fresh().feed(header(1, 10)), /a guest may not send device_connect/);
    expectProtocolError(() => fresh().feed(header(6, 0)), /set_configuration declares 0 bytes, less than its 1-byte header/);
    expectProtocolError(() => fresh().feed(header(3, 4)), /reset declares 4 bytes; it has exactly 0/);
  });

  it('checks data direction and length as usbredirparser does', () => {
    const { host } = pair();
    const guest = new UsbredirStream({ role: 'guest', version: 'g', caps: ALL_CAPS });
    guest.feed(new UsbredirStream({ role: 'host', version: 'h', caps: ALL_CAPS }).hello());
    // An IN control request from the guest carries no data.
    const bad = guest.encode({ type: 'control_packet', id: 1n, endpoint: 0x80, request: 6, requestType: 0x80, status: 0, value: 0x100, index: 0, length: 18, data: new Uint8Array(0) });
    const withData = new Uint8Array([...bad, 1, 2]);
    new DataView(withData.buffer).setUint32(4, 10 + 2, true);
    expectProtocolError(() => host.feed(withData), /carries 2 bytes of data in the direction that carries none/);
    // An OUT data packet must carry exactly its length.
    const { host: h2, guest: g2 } = pair();
    const out = g2.encode({ type: 'interrupt_packet', id: 1n, endpoint: 0x01, status: 0, length: 2, data: Uint8Array.of(1, 2) });
    new DataView(out.buffer).setUint16(16 + 2, 3, true);
    expectProtocolError(() => h2.feed(out), /carries 2 bytes of data but says 3/);
    const { host: h3, guest: g3 } = pair();
    const inInt = g3.encode({ type: 'start_interrupt_receiving', id: 1n, endpoint: 0x81 });
    inInt[16] = 0x01;
    expectProtocolError(() => h3.feed(inInt), /not an IN endpoint/);
  });

  it('refuses capability-gated packets without the capability, and interface_info over 32', () => {
    const host = new UsbredirStream({ role: 'host', version: 'h', caps: 0 });
    expectProtocolError(() => host.feed(header(22, 0)), /filter_reject without the filter capability/);
    const guest = new UsbredirStream({ role: 'guest', version: 'g', caps: ALL_CAPS });
    const info = new Uint8Array([...header(4, 132), ...new Uint8Array(132)]);
    new DataView(info.buffer).setUint32(12, 33, true);
    expectProtocolError(() => guest.feed(info), /33 interfaces/);
    const noNul = new Uint8Array([...header(23, 0)]);
    expectProtocolError(() => fresh().feed(noNul), /filter_filter without a filter string/);
  });

  it('stays failed after an error, and ignores a second hello', () => {
    const warnings: string[] = [];
    const host = new UsbredirStream({ role: 'host', version: 'h', caps: ALL_CAPS, warn: (t) => warnings.push(t) });
    const guest = new UsbredirStream({ role: 'guest', version: 'g', caps: 0 });
    expect(host.feed(new Uint8Array([...guest.hello(), ...guest.hello()]))).toHaveLength(1);
    expect(warnings[0]).toMatch(/second hello/);
    expectProtocolError(() => host.feed(header(99, 0)));
    expectProtocolError(() => host.feed(new Uint8Array(0)));
  });
});
