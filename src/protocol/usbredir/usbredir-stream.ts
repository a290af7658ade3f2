// One usbredir connection's byte stream in both directions: the hello exchange, the capability
// dependent layouts, and every packet checked as usbredirparser.c checks it (do_read,
// verify_type_header): the type must be one the other side may send, the length must fit the
// type (a packet without data may not carry any), data goes only in its endpoint's direction and
// equals the header's length, capability-gated packets need the capability. A packet header that
// declares more than the type can carry is an error before any of its body is waited for, so a
// lying length never makes the stream hold more than `maxBulkBytes` (plus one header).
import { ProtocolError } from '../wire/errors.ts';
import {
  isUsbredirType, UsbredirCap, UsbredirType, USBREDIR_MAX_BULK_TRANSFER, usbredirTypeName, type UsbredirTypeName,
} from './usbredir-constants.ts';
import {
  dataEndpoint, decodePacket, encodePacketBody, mayCarryData, senderOf, typeHeaderSize,
  type Negotiated, type UsbredirPacket,
} from './usbredir-packets.ts';

export type UsbredirRole = 'host' | 'guest';

export interface UsbredirStreamOptions {
  role: UsbredirRole;
  /** Our hello's version text (at most 63 bytes are sent). */
  version: string;
  /** Our capability word (UsbredirCap bits). */
  caps: number;
  /** Largest bulk data accepted in one packet; default 16 MiB (usbredirparser allows 128 MiB). */
  maxBulkBytes?: number;
  /** Names the stream in errors, e.g. `usbredir:1`. */
  channel?: string;
  /** A peer oddity that usbredirparser also only logs (a second hello). */
  warn?: (text: string) => void;
}

/** Data a hello may carry (its capability words): usbredirparser reads one word; more is hostile. */
const MAX_HELLO_DATA = 1024;
/** A filter string: usbredirfilter rules take at most 28 bytes each; 64 KiB is thousands of rules. */
const MAX_FILTER_DATA = 64 * 1024;
const DEFAULT_MAX_BULK = 16 * 1024 * 1024;

const typeByNumber = new Map<number, UsbredirTypeName>(
  (Object.entries(UsbredirType) as [UsbredirTypeName, number][]).map(([name, n]) => [n, name]),
);

export class UsbredirStream {
  readonly role: UsbredirRole;
  readonly ourCaps: number;
  /** The peer's first capability word once its hello came; null before. */
  peerCaps: number | null = null;
  peerVersion: string | null = null;
  private readonly version: string;
  private readonly maxBulkBytes: number;
  private readonly channel: string;
  private readonly warn: (text: string) => void;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Bytes of the stream consumed so far (for error offsets). */
  private consumed = 0;
  private failed: ProtocolError | null = null;

  constructor(options: UsbredirStreamOptions) {
    this.role = options.role;
    this.ourCaps = options.caps >>> 0;
    this.version = options.version;
    this.maxBulkBytes = Math.min(options.maxBulkBytes ?? DEFAULT_MAX_BULK, USBREDIR_MAX_BULK_TRANSFER);
    this.channel = options.channel ?? 'usbredir';
    this.warn = options.warn ?? (() => {});
  }

  /** Both sides advertised this capability (false before the peer's hello). */
  both(cap: number): boolean {
    return this.peerCaps !== null && (this.ourCaps & (1 << cap)) !== 0 && (this.peerCaps & (1 << cap)) !== 0;
  }

  /** The peer advertised this capability. */
  peerHas(cap: number): boolean {
    return this.peerCaps !== null && (this.peerCaps & (1 << cap)) !== 0;
  }

  private weHave(cap: number): boolean {
    return (this.ourCaps & (1 << cap)) !== 0;
  }

  get negotiated(): Negotiated {
    return {
      ids64: this.both(UsbredirCap['64bits_ids']),
      deviceVersion: this.both(UsbredirCap.connect_device_version),
      epInfoMaxPacketSize: this.both(UsbredirCap.ep_info_max_packet_size),
      bulkStreams: this.both(UsbredirCap.bulk_streams),
      bulkLength32: this.both(UsbredirCap['32bits_bulk_length']),
    };
  }

  /** Bytes buffered for a packet that has not arrived whole yet. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Our hello, the first packet each side sends (always with a 32-bit id). */
  hello(): Uint8Array {
    return this.encode({ type: 'hello', id: 0n, version: this.version, caps: [this.ourCaps] });
  }

  /**
   * Takes stream bytes; returns the packets they completed, in order. Throws a ProtocolError
   * naming the packet on the first bad one; the stream is unusable after that (the slot drops).
   */
  feed(chunk: Uint8Array): UsbredirPacket[] {
    if (this.failed) throw this.failed;
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.byteLength;
    }
    const out: UsbredirPacket[] = [];
    try {
      for (;;) {
        const packet = this.next();
        if (!packet) break;
        if (packet.type === 'hello') {
          if (this.peerCaps !== null) {
            this.warn(`${this.channel}: a second hello from the ${this.peerRole}, ignored`);
            continue;
          }
          this.peerVersion = packet.version;
          let caps = (packet.caps[0] ?? 0) >>> 0;
          // usbredirparser_verify_caps: bulk streams need ep_info's max packet size.
          if ((caps & (1 << UsbredirCap.bulk_streams)) && !(caps & (1 << UsbredirCap.ep_info_max_packet_size))) {
            caps &= ~(1 << UsbredirCap.bulk_streams);
            this.warn(`${this.channel}: the ${this.peerRole} offered bulk_streams without ep_info_max_packet_size; bulk streams off`);
          }
          this.peerCaps = caps >>> 0;
        }
        out.push(packet);
      }
    } catch (e) {
      if (e instanceof ProtocolError) this.failed = e;
      throw e;
    }
    return out;
  }

  private get peerRole(): UsbredirRole {
    return this.role === 'host' ? 'guest' : 'host';
  }

  private headerSize(): number {
    return this.negotiated.ids64 ? 16 : 12;
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first.byteLength >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.chunks) {
      const part = c.subarray(0, Math.min(c.byteLength, n - at));
      out.set(part, at);
      at += part.byteLength;
      if (at === n) break;
    }
    return out;
  }

  private take(n: number): Uint8Array {
    const out = this.peek(n);
    let left = n;
    while (left > 0) {
      const c = this.chunks[0];
      if (c.byteLength <= left) {
        this.chunks.shift();
        left -= c.byteLength;
      } else {
        this.chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.buffered -= n;
    this.consumed += n;
    // A view into a chunk would keep the whole chunk alive; a packet's bytes are copied when they
    // span chunks, and a packet inside one chunk is a view the handler may keep.
    return out;
  }

  private fail(detail: string, type: number | undefined, offset = this.consumed): never {
    const name = type === undefined ? 'packet header' : `usbredir ${usbredirTypeName(type)}`;
    throw new ProtocolError(detail, offset, { channel: this.channel, messageType: type, messageName: name });
  }

  /** The next whole packet, or null when more bytes are needed. */
  private next(): UsbredirPacket | null {
    const headerSize = this.headerSize();
    if (this.buffered < headerSize) return null;
    const head = this.peek(headerSize);
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const typeNumber = view.getUint32(0, true);
    const length = view.getUint32(4, true);
    const type = typeByNumber.get(typeNumber);
    if (type === undefined || !isUsbredirType(typeNumber)) this.fail(`unknown usbredir packet type ${typeNumber} (length ${length})`, typeNumber);
    const sender = senderOf(type);
    if (sender !== 'both' && sender !== this.peerRole) {
      this.fail(`a ${this.peerRole} may not send ${type} (only the ${sender} does)`, typeNumber);
    }
    const n = this.negotiated;
    const typeHeader = typeHeaderSize(type, n);
    if (length < typeHeader) this.fail(`${type} declares ${length} bytes, less than its ${typeHeader}-byte header`, typeNumber);
    const maxData = this.maxDataOf(type);
    if (length - typeHeader > maxData) {
      this.fail(mayCarryData(type)
        ? `${type} declares ${length - typeHeader} bytes of data, more than the ${maxData} accepted`
        : `${type} declares ${length} bytes; it has exactly ${typeHeader}`, typeNumber);
    }
    if (this.buffered < headerSize + length) return null;
    const at = this.consumed;
    const bytes = this.take(headerSize + length);
    const id = n.ids64 ? new DataView(bytes.buffer, bytes.byteOffset + 8, 8).getBigUint64(0, true) : BigInt(view.getUint32(8, true));
    const header = bytes.subarray(headerSize, headerSize + typeHeader);
    const data = bytes.subarray(headerSize + typeHeader);
    if (type === 'interface_info') {
      const count = new DataView(header.buffer, header.byteOffset, 4).getUint32(0, true);
      if (count > 32) this.fail(`interface_info counts ${count} interfaces, more than 32`, typeNumber, at);
    }
    const packet = decodePacket(type, id, header, data, n);
    const problem = this.problemOf(packet, data.byteLength, false);
    if (problem) this.fail(problem, typeNumber, at);
    return packet;
  }

  private maxDataOf(type: UsbredirTypeName): number {
    switch (type) {
      case 'hello': return MAX_HELLO_DATA;
      case 'filter_filter': return MAX_FILTER_DATA;
      case 'control_packet': case 'iso_packet': case 'interrupt_packet': return 0xffff;
      case 'bulk_packet': case 'buffered_bulk_packet': return this.maxBulkBytes;
      default: return 0;
    }
  }

  /**
   * What is wrong with a packet received (`sending` false) or about to be sent, as
   * usbredirparser's verify_type_header decides; null when it is fine.
   */
  private problemOf(packet: UsbredirPacket, dataLength: number, sending: boolean): string | null {
    const capOk = (cap: number): boolean => (sending ? this.peerHas(cap) : this.weHave(cap));
    const capName = (cap: number): string => Object.entries(UsbredirCap).find(([, v]) => v === cap)?.[0] ?? String(cap);
    const needCap = (cap: number): string | null =>
      capOk(cap) ? null : `${packet.type} without the ${capName(cap)} capability on the ${sending ? 'receiving' : 'our'} side`;
    const inEndpoint = (ep: number): string | null => (ep & 0x80 ? null : `${packet.type} on endpoint 0x${ep.toString(16).padStart(2, '0')}, which is not an IN endpoint`);
    switch (packet.type) {
      case 'start_interrupt_receiving': case 'stop_interrupt_receiving': case 'interrupt_receiving_status':
        return inEndpoint(packet.endpoint);
      case 'filter_reject': case 'device_disconnect_ack':
        return needCap(packet.type === 'filter_reject' ? UsbredirCap.filter : UsbredirCap.device_disconnect_ack);
      case 'filter_filter':
        return needCap(UsbredirCap.filter) ?? (dataLength < 1 ? 'filter_filter without a filter string' : null);
      case 'start_bulk_receiving':
        return needCap(UsbredirCap.bulk_receiving)
          ?? (packet.bytesPerTransfer > USBREDIR_MAX_BULK_TRANSFER ? `start_bulk_receiving asks ${packet.bytesPerTransfer} bytes per transfer, more than ${USBREDIR_MAX_BULK_TRANSFER}` : null)
          ?? inEndpoint(packet.endpoint);
      case 'stop_bulk_receiving': case 'bulk_receiving_status':
        return needCap(UsbredirCap.bulk_receiving) ?? inEndpoint(packet.endpoint);
      case 'buffered_bulk_packet': {
        const cap = needCap(UsbredirCap.bulk_receiving);
        if (cap) return cap;
        break;
      }
      default:
        break;
    }
    const ep = dataEndpoint(packet);
    if (ep === undefined) return null;
    const length = (packet as { length: number }).length;
    if ((packet.type === 'bulk_packet' || packet.type === 'buffered_bulk_packet') && length > USBREDIR_MAX_BULK_TRANSFER) {
      return `${packet.type} of ${length} bytes, more than ${USBREDIR_MAX_BULK_TRANSFER}`;
    }
    const commandForHost = sending ? this.role === 'guest' : this.role === 'host';
    const carriesData = (ep & 0x80) !== 0 ? !commandForHost : commandForHost;
    const epText = `endpoint 0x${ep.toString(16).padStart(2, '0')}`;
    if (carriesData) {
      if (dataLength !== length) return `${packet.type} on ${epText} carries ${dataLength} bytes of data but says ${length}`;
      return null;
    }
    if (dataLength !== 0) return `${packet.type} on ${epText} carries ${dataLength} bytes of data in the direction that carries none`;
    if (packet.type === 'iso_packet' || packet.type === 'buffered_bulk_packet') return `${packet.type} on ${epText} sent in the wrong direction`;
    if (packet.type === 'interrupt_packet' && commandForHost) return `interrupt_packet on ${epText} sent in the wrong direction (the host polls IN endpoints itself)`;
    return null;
  }

  /**
   * The bytes of a packet to send, after `headroom` free bytes (room for the carrier's own header,
   * so that bulk data is copied once). Throws (a bug of the caller) when usbredirparser would
   * refuse to send it.
   */
  encode(packet: UsbredirPacket, headroom = 0): Uint8Array {
    const sender = senderOf(packet.type);
    if (sender !== 'both' && sender !== this.role) throw new Error(`usbredir: a ${this.role} does not send ${packet.type}`);
    const n = packet.type === 'hello' ? { ids64: false, deviceVersion: false, epInfoMaxPacketSize: false, bulkStreams: false, bulkLength32: false } : this.negotiated;
    const { header, data } = encodePacketBody(packet, n);
    if (packet.type !== 'hello') {
      const problem = this.problemOf(packet, data.byteLength, true);
      if (problem) throw new Error(`usbredir: cannot send ${packet.type}: ${problem}`);
    }
    const headerSize = n.ids64 ? 16 : 12;
    const out = new Uint8Array(headroom + headerSize + header.byteLength + data.byteLength);
    const view = new DataView(out.buffer, headroom);
    view.setUint32(0, UsbredirType[packet.type], true);
    view.setUint32(4, header.byteLength + data.byteLength, true);
    if (n.ids64) view.setBigUint64(8, BigInt.asUintN(64, packet.id), true);
    else view.setUint32(8, Number(BigInt.asUintN(32, packet.id)), true);
    out.set(header, headroom + headerSize);
    out.set(data, headroom + headerSize + header.byteLength);
    return out;
  }
}

