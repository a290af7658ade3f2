// Every usbredir packet as a value, and the layout of each one's type-specific header. Layouts
// and sizes from usbredir's usbredirproto.h; which side may send which packet, and when a packet
// carries data, from usbredirparser.c (get_type_header_len, expect_extra_data, verify_type_header).
// Integers are little-endian and structs packed. Four layouts depend on capabilities that BOTH
// sides advertised (the `Negotiated` flags): the header's id (u32, or u64 with 64bits_ids),
// device_connect (8 bytes, 10 with connect_device_version), ep_info (96 bytes, 160 with
// ep_info_max_packet_size, 288 with bulk_streams too) and bulk_packet (8 bytes, 10 with
// 32bits_bulk_length).
import { UsbredirType, type UsbredirTypeName } from './usbredir-constants.ts';

export interface UsbredirInterface {
  interface: number;
  class: number;
  subclass: number;
  protocol: number;
}

export interface UsbredirEndpointInfo {
  type: number;
  interval: number;
  interface: number;
  maxPacketSize: number;
  maxStreams: number;
}

interface P<T extends UsbredirTypeName> {
  type: T;
  /** The packet id (u32 or u64 on the wire); replies echo the request's id. */
  id: bigint;
}

export type HelloPacket = P<'hello'> & { version: string; caps: number[] };
export type DeviceConnectPacket = P<'device_connect'> & {
  speed: number; deviceClass: number; deviceSubclass: number; deviceProtocol: number;
  vendorId: number; productId: number;
  /** Sent only when both sides have connect_device_version; 0 otherwise. */
  deviceVersionBcd: number;
};
export type InterfaceInfoPacket = P<'interface_info'> & { interfaces: UsbredirInterface[] };
/** 32 entries: index 0-15 the OUT endpoints, 16-31 the IN endpoints (endpointIndex). */
export type EpInfoPacket = P<'ep_info'> & { endpoints: UsbredirEndpointInfo[] };
export type ControlPacket = P<'control_packet'> & {
  endpoint: number; request: number; requestType: number; status: number;
  value: number; index: number; length: number; data: Uint8Array;
};
export type BulkPacket = P<'bulk_packet'> & { endpoint: number; status: number; length: number; streamId: number; data: Uint8Array };
export type IsoPacket = P<'iso_packet'> & { endpoint: number; status: number; length: number; data: Uint8Array };
export type InterruptPacket = P<'interrupt_packet'> & { endpoint: number; status: number; length: number; data: Uint8Array };
export type BufferedBulkPacket = P<'buffered_bulk_packet'> & { streamId: number; length: number; endpoint: number; status: number; data: Uint8Array };
export type FilterFilterPacket = P<'filter_filter'> & { filter: string };

export type UsbredirPacket =
  | HelloPacket | DeviceConnectPacket | InterfaceInfoPacket | EpInfoPacket
  | ControlPacket | BulkPacket | IsoPacket | InterruptPacket | BufferedBulkPacket | FilterFilterPacket
  | (P<'device_disconnect' | 'reset' | 'get_configuration' | 'cancel_data_packet' | 'filter_reject' | 'device_disconnect_ack'>)
  | P<'set_configuration'> & { configuration: number }
  | P<'configuration_status'> & { status: number; configuration: number }
  | P<'set_alt_setting'> & { interface: number; alt: number }
  | P<'get_alt_setting'> & { interface: number }
  | P<'alt_setting_status'> & { status: number; interface: number; alt: number }
  | P<'start_iso_stream'> & { endpoint: number; pktsPerUrb: number; noUrbs: number }
  | P<'stop_iso_stream' | 'start_interrupt_receiving' | 'stop_interrupt_receiving'> & { endpoint: number }
  | P<'iso_stream_status' | 'interrupt_receiving_status'> & { status: number; endpoint: number }
  | P<'alloc_bulk_streams'> & { endpoints: number; noStreams: number }
  | P<'free_bulk_streams'> & { endpoints: number }
  | P<'bulk_streams_status'> & { endpoints: number; noStreams: number; status: number }
  | P<'start_bulk_receiving'> & { streamId: number; bytesPerTransfer: number; endpoint: number; noTransfers: number }
  | P<'stop_bulk_receiving'> & { streamId: number; endpoint: number }
  | P<'bulk_receiving_status'> & { streamId: number; endpoint: number; status: number };

/** The packet of a given type name. */
export type UsbredirPacketOf<T extends UsbredirTypeName> = Extract<UsbredirPacket, { type: T }>;

/** Layout choices fixed by the capabilities both sides advertised. */
export interface Negotiated {
  ids64: boolean;
  deviceVersion: boolean;
  epInfoMaxPacketSize: boolean;
  bulkStreams: boolean;
  bulkLength32: boolean;
}

/** Which side sends a packet type: the usb-host (owns the device), the usb-guest, or either. */
export type Sender = 'host' | 'guest' | 'both';
type Width = 1 | 2 | 4;
type Fields = readonly (readonly [string, Width])[];

/** The fixed-layout packets: sender and fields in wire order. */
const fixedLayouts: Partial<Record<UsbredirTypeName, { sender: Sender; fields: Fields }>> = {
  device_disconnect: { sender: 'host', fields: [] },
  reset: { sender: 'guest', fields: [] },
  set_configuration: { sender: 'guest', fields: [['configuration', 1]] },
  get_configuration: { sender: 'guest', fields: [] },
  configuration_status: { sender: 'host', fields: [['status', 1], ['configuration', 1]] },
  set_alt_setting: { sender: 'guest', fields: [['interface', 1], ['alt', 1]] },
  get_alt_setting: { sender: 'guest', fields: [['interface', 1]] },
  alt_setting_status: { sender: 'host', fields: [['status', 1], ['interface', 1], ['alt', 1]] },
  start_iso_stream: { sender: 'guest', fields: [['endpoint', 1], ['pktsPerUrb', 1], ['noUrbs', 1]] },
  stop_iso_stream: { sender: 'guest', fields: [['endpoint', 1]] },
  iso_stream_status: { sender: 'host', fields: [['status', 1], ['endpoint', 1]] },
  start_interrupt_receiving: { sender: 'guest', fields: [['endpoint', 1]] },
  stop_interrupt_receiving: { sender: 'guest', fields: [['endpoint', 1]] },
  interrupt_receiving_status: { sender: 'host', fields: [['status', 1], ['endpoint', 1]] },
  alloc_bulk_streams: { sender: 'guest', fields: [['endpoints', 4], ['noStreams', 4]] },
  free_bulk_streams: { sender: 'guest', fields: [['endpoints', 4]] },
  bulk_streams_status: { sender: 'host', fields: [['endpoints', 4], ['noStreams', 4], ['status', 1]] },
  cancel_data_packet: { sender: 'guest', fields: [] },
  filter_reject: { sender: 'guest', fields: [] },
  device_disconnect_ack: { sender: 'guest', fields: [] },
  start_bulk_receiving: { sender: 'guest', fields: [['streamId', 4], ['bytesPerTransfer', 4], ['endpoint', 1], ['noTransfers', 1]] },
  stop_bulk_receiving: { sender: 'guest', fields: [['streamId', 4], ['endpoint', 1]] },
  bulk_receiving_status: { sender: 'host', fields: [['streamId', 4], ['endpoint', 1], ['status', 1]] },
  control_packet: { sender: 'both', fields: [['endpoint', 1], ['request', 1], ['requestType', 1], ['status', 1], ['value', 2], ['index', 2], ['length', 2]] },
  iso_packet: { sender: 'both', fields: [['endpoint', 1], ['status', 1], ['length', 2]] },
  interrupt_packet: { sender: 'both', fields: [['endpoint', 1], ['status', 1], ['length', 2]] },
  buffered_bulk_packet: { sender: 'host', fields: [['streamId', 4], ['length', 4], ['endpoint', 1], ['status', 1]] },
};

const senders: Record<UsbredirTypeName, Sender> = {
  ...(Object.fromEntries(Object.entries(fixedLayouts).map(([k, v]) => [k, v.sender])) as Record<UsbredirTypeName, Sender>),
  hello: 'both',
  device_connect: 'host',
  interface_info: 'host',
  ep_info: 'host',
  filter_filter: 'both',
  bulk_packet: 'both',
};

export function senderOf(type: UsbredirTypeName): Sender {
  return senders[type];
}

/** Packet types that may carry data after their type header (usbredirparser's expect_extra_data). */
export function mayCarryData(type: UsbredirTypeName): boolean {
  return type === 'hello' || type === 'filter_filter' || type === 'control_packet' || type === 'bulk_packet'
    || type === 'iso_packet' || type === 'interrupt_packet' || type === 'buffered_bulk_packet';
}

const EP_INFO_BASE = 32 * 3;
const HELLO_HEADER = 64;
const INTERFACE_INFO = 4 + 32 * 4;

/** Bytes of a packet type's own header under these capabilities. */
export function typeHeaderSize(type: UsbredirTypeName, n: Negotiated): number {
  switch (type) {
    case 'hello': return HELLO_HEADER;
    case 'device_connect': return n.deviceVersion ? 10 : 8;
    case 'interface_info': return INTERFACE_INFO;
    case 'ep_info': return EP_INFO_BASE + (n.epInfoMaxPacketSize || n.bulkStreams ? 64 : 0) + (n.bulkStreams ? 128 : 0);
    case 'filter_filter': return 0;
    case 'bulk_packet': return n.bulkLength32 ? 10 : 8;
    default: {
      const layout = fixedLayouts[type];
      return layout ? layout.fields.reduce((sum, [, w]) => sum + w, 0) : 0;
    }
  }
}

function readUint(view: DataView, at: number, width: Width): number {
  return width === 1 ? view.getUint8(at) : width === 2 ? view.getUint16(at, true) : view.getUint32(at, true);
}

function writeUint(view: DataView, at: number, width: Width, value: number, field: string, type: string): void {
  const max = width === 1 ? 0xff : width === 2 ? 0xffff : 0xffffffff;
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`usbredir ${type}: ${field} must be a whole number from 0 to ${max}, got ${value}`);
  if (width === 1) view.setUint8(at, value);
  else if (width === 2) view.setUint16(at, value, true);
  else view.setUint32(at, value, true);
}

/** Text of a NUL-terminated field: up to the first NUL, non-printable characters replaced. */
function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  const used = end < 0 ? bytes : bytes.subarray(0, end);
  let out = '';
  for (const b of used) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '?';
  return out;
}

/** The bytes up to the first NUL as Latin-1, unchanged: the filter parser must see what usbredirfilter sees. */
function rawCString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  let out = '';
  for (const b of end < 0 ? bytes : bytes.subarray(0, end)) out += String.fromCharCode(b);
  return out;
}

/**
 * The packet from its type header and data (both already bounded by the stream parser).
 * `data` is the bytes after the type header; checks that need the data's meaning are the
 * caller's (usbredir-stream.ts verifies directions and lengths).
 */
export function decodePacket(type: UsbredirTypeName, id: bigint, header: Uint8Array, data: Uint8Array, n: Negotiated): UsbredirPacket {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  switch (type) {
    case 'hello': {
      const caps: number[] = [];
      const words = new DataView(data.buffer, data.byteOffset, data.byteLength);
      for (let at = 0; at + 4 <= data.byteLength; at += 4) caps.push(words.getUint32(at, true));
      return { type, id, version: cString(header), caps };
    }
    case 'device_connect':
      return {
        type, id, speed: view.getUint8(0), deviceClass: view.getUint8(1), deviceSubclass: view.getUint8(2), deviceProtocol: view.getUint8(3),
        vendorId: view.getUint16(4, true), productId: view.getUint16(6, true), deviceVersionBcd: n.deviceVersion ? view.getUint16(8, true) : 0,
      };
    case 'interface_info': {
      const count = view.getUint32(0, true);
      const interfaces: UsbredirInterface[] = [];
      for (let i = 0; i < Math.min(count, 32); i++) {
        interfaces.push({ interface: header[4 + i], class: header[36 + i], subclass: header[68 + i], protocol: header[100 + i] });
      }
      return { type, id, interfaces };
    }
    case 'ep_info': {
      const withSize = n.epInfoMaxPacketSize || n.bulkStreams;
      const endpoints: UsbredirEndpointInfo[] = [];
      for (let i = 0; i < 32; i++) {
        endpoints.push({
          type: header[i], interval: header[32 + i], interface: header[64 + i],
          maxPacketSize: withSize ? view.getUint16(96 + 2 * i, true) : 0,
          maxStreams: n.bulkStreams ? view.getUint32(160 + 4 * i, true) : 0,
        });
      }
      return { type, id, endpoints };
    }
    case 'filter_filter':
      return { type, id, filter: rawCString(data) };
    case 'bulk_packet': {
      const low = view.getUint16(2, true);
      const high = n.bulkLength32 ? view.getUint16(8, true) : 0;
      return { type, id, endpoint: view.getUint8(0), status: view.getUint8(1), length: high * 0x10000 + low, streamId: view.getUint32(4, true), data };
    }
    default: {
      const layout = fixedLayouts[type];
      if (!layout) throw new Error(`usbredir: no layout for ${type}`);
      const packet: Record<string, unknown> = { type, id };
      let at = 0;
      for (const [name, width] of layout.fields) {
        packet[name] = readUint(view, at, width);
        at += width;
      }
      if (mayCarryData(type)) packet.data = data;
      return packet as unknown as UsbredirPacket;
    }
  }
}

/** The type header and data of a packet to send (throws on a field out of range: a caller's bug). */
export function encodePacketBody(packet: UsbredirPacket, n: Negotiated): { header: Uint8Array; data: Uint8Array } {
  const header = new Uint8Array(typeHeaderSize(packet.type, n));
  const view = new DataView(header.buffer);
  const none = new Uint8Array(0);
  switch (packet.type) {
    case 'hello': {
      const version = new TextEncoder().encode(packet.version).subarray(0, HELLO_HEADER - 1);
      header.set(version);
      const data = new Uint8Array(packet.caps.length * 4);
      const words = new DataView(data.buffer);
      packet.caps.forEach((word, i) => writeUint(words, 4 * i, 4, word, 'caps', packet.type));
      return { header, data };
    }
    case 'device_connect': {
      const p = packet;
      ([['speed', 1, p.speed], ['deviceClass', 1, p.deviceClass], ['deviceSubclass', 1, p.deviceSubclass], ['deviceProtocol', 1, p.deviceProtocol],
        ['vendorId', 2, p.vendorId], ['productId', 2, p.productId]] as const).reduce((at, [name, width, value]) => {
        writeUint(view, at, width, value, name, p.type);
        return at + width;
      }, 0);
      if (n.deviceVersion) writeUint(view, 8, 2, p.deviceVersionBcd, 'deviceVersionBcd', p.type);
      return { header, data: none };
    }
    case 'interface_info': {
      if (packet.interfaces.length > 32) throw new RangeError(`usbredir interface_info: at most 32 interfaces, got ${packet.interfaces.length}`);
      view.setUint32(0, packet.interfaces.length, true);
      packet.interfaces.forEach((f, i) => {
        writeUint(view, 4 + i, 1, f.interface, 'interface', packet.type);
        writeUint(view, 36 + i, 1, f.class, 'class', packet.type);
        writeUint(view, 68 + i, 1, f.subclass, 'subclass', packet.type);
        writeUint(view, 100 + i, 1, f.protocol, 'protocol', packet.type);
      });
      return { header, data: none };
    }
    case 'ep_info': {
      if (packet.endpoints.length !== 32) throw new RangeError(`usbredir ep_info: 32 endpoints expected, got ${packet.endpoints.length}`);
      const withSize = n.epInfoMaxPacketSize || n.bulkStreams;
      packet.endpoints.forEach((e, i) => {
        writeUint(view, i, 1, e.type, 'type', packet.type);
        writeUint(view, 32 + i, 1, e.interval, 'interval', packet.type);
        writeUint(view, 64 + i, 1, e.interface, 'interface', packet.type);
        if (withSize) writeUint(view, 96 + 2 * i, 2, e.maxPacketSize, 'maxPacketSize', packet.type);
        if (n.bulkStreams) writeUint(view, 160 + 4 * i, 4, e.maxStreams, 'maxStreams', packet.type);
      });
      return { header, data: none };
    }
    case 'filter_filter': {
      const data = new Uint8Array(packet.filter.length + 1);
      for (let i = 0; i < packet.filter.length; i++) {
        const c = packet.filter.charCodeAt(i);
        if (c === 0 || c > 0xff) throw new RangeError(`usbredir filter_filter: the filter must be Latin-1 text without NUL`);
        data[i] = c;
      }
      return { header, data };
    }
    case 'bulk_packet': {
      const max = n.bulkLength32 ? 0xffffffff : 0xffff;
      writeUint(view, 0, 1, packet.endpoint, 'endpoint', packet.type);
      writeUint(view, 1, 1, packet.status, 'status', packet.type);
      if (!Number.isInteger(packet.length) || packet.length < 0 || packet.length > max) throw new RangeError(`usbredir bulk_packet: length must be from 0 to ${max}, got ${packet.length}`);
      view.setUint16(2, packet.length & 0xffff, true);
      writeUint(view, 4, 4, packet.streamId, 'streamId', packet.type);
      if (n.bulkLength32) view.setUint16(8, Math.floor(packet.length / 0x10000), true);
      return { header, data: packet.data };
    }
    default: {
      const layout = fixedLayouts[packet.type];
      if (!layout) throw new Error(`usbredir: no layout for ${packet.type}`);
      const fields = packet as unknown as Record<string, number>;
      let at = 0;
      for (const [name, width] of layout.fields) {
        writeUint(view, at, width, fields[name], name, packet.type);
        at += width;
      }
      const data = 'data' in packet ? packet.data : none;
      return { header, data };
    }
  }
}

/** The endpoint of a data packet (the byte whose top bit says IN), or undefined for other packets. */
export function dataEndpoint(packet: UsbredirPacket): number | undefined {
  switch (packet.type) {
    case 'control_packet': case 'bulk_packet': case 'iso_packet': case 'interrupt_packet': case 'buffered_bulk_packet':
      return packet.endpoint;
    default:
      return undefined;
  }
}

export const typeNumber = (type: UsbredirTypeName): number => UsbredirType[type];
