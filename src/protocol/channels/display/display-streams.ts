// The display channel's video streams on the socket side: which streams exist, whether each is one
// this client can take (an id in range, a codec it announced, not one too many, frames of a sane
// size), and the STREAM_REPORTs the server adapts its encoder to. Reports are about arrival, so
// they are computed here, where the frames arrive, not where they are drawn (the pipeline, maybe in
// another thread). A stream this client cannot take is dropped with a clear error, the server is
// told it cannot be decoded (it then sends the area as ordinary draws), and the session goes on.
import { VideoCodec, DisplayMsg, buildStreamReport, parseDisplayMessage, DisplayClientMsg, type DisplayMessage, type StreamReport } from './display-messages.ts';
import { cannotDecodeReport, StreamReportWindow } from './stream-reports.ts';
import { isSpiceError } from '../../wire/errors.ts';

/** Stream ids are below SPICE_MAX_NUM_STREAMS (spice-protocol). */
export const MAX_STREAM_IDS = 64;
/** The server's pool of streams (spice-server NUM_STREAMS): more at once is a misbehaving server. */
export const MAX_LIVE_STREAMS = 50;
/** A report naming a stream id at or above this makes spice-server drop the display channel. */
const SERVER_STREAM_IDS = 50;
/** The largest encoded frame taken: a 4096×2160 JPEG at top quality is well under this. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export interface StreamGateOptions {
  /** The codecs announced in the display caps (with MULTI_CODEC); null: none, nor STREAM_REPORT. */
  announcedCodecs: readonly number[] | null;
  /** Sends a client message on the display channel. */
  send(type: number, body: Uint8Array): void;
  /** The session's mm time now, or null before the server set it. */
  mediaTime(): number | null;
  /** A stream message that was refused: logged and reported by the channel. */
  error(message: string): void;
  /** A stream message ignored as expected (a clip of a stream this client never got). */
  debug?(message: string): void;
  /** Wall-clock milliseconds; injectable for tests. */
  wallMs?: () => number;
}

interface LiveStream {
  codec: number;
  report: StreamReportWindow | null;
  /** The serial of its STREAM_CREATE (0 when not given). */
  serial: bigint;
}

export const codecName = (codec: number): string => Object.entries(VideoCodec).find(([, v]) => v === codec)?.[0] ?? `codec ${codec}`;

/**
 * Tracks the streams of one display channel. `admit` says whether a stream message goes on to the
 * pipeline; a stream dropped here is forgotten by the pipeline through the STREAM_DESTROY that
 * `admit` hands back to forward in its place.
 */
export class StreamGate {
  private readonly streams = new Map<number, LiveStream>();
  /** Ids already told to the server as unknown, so that a flood of frames is reported once. */
  private readonly reportedUnknown = new Set<number>();
  private readonly o: StreamGateOptions;
  private readonly wallMs: () => number;

  constructor(o: StreamGateOptions) {
    this.o = o;
    this.wallMs = o.wallMs ?? Date.now;
  }

  get liveStreams(): number {
    return this.streams.size;
  }

  /**
   * What to forward to the pipeline for this stream message: the message itself, a STREAM_DESTROY
   * body in its place (the stream is dropped now), or nothing.
   */
  admit(type: number, body: Uint8Array, serial = 0n): { type: number; body: Uint8Array } | null {
    let msg: DisplayMessage | null;
    try {
      msg = parseDisplayMessage(type, body);
    } catch (error) {
      // The pipeline parses it again and reports the malformed message with its offset.
      if (isSpiceError(error)) return { type, body };
      throw error;
    }
    if (!msg) return { type, body };
    switch (msg.type) {
      case 'stream-create':
        return this.create(msg.stream.id, msg.stream.codecType, serial) ? { type, body } : null;
      case 'stream-activate-report': {
        const s = this.streams.get(msg.streamId);
        if (!s) return this.unknown(msg.streamId, 'STREAM_ACTIVATE_REPORT');
        s.report = new StreamReportWindow(msg);
        return null;
      }
      case 'stream-data':
      case 'stream-data-sized':
        return this.frame(type, body, msg.id, msg.multiMediaTime, msg.data.byteLength);
      case 'stream-clip':
        if (this.streams.has(msg.id)) return { type, body };
        // spice-server sends the clips of its streams to every client, also to one it never sent
        // the STREAM_CREATE (no codec announced, or the stream reported as not decodable): seen
        // with Xspice. Nothing to draw, nothing wrong: ignored without an error.
        this.o.debug?.(`STREAM_CLIP for video stream ${msg.id}, which this client does not have; ignoring it`);
        return null;
      case 'stream-destroy':
        this.reportedUnknown.delete(msg.id);
        // A destroy of a stream dropped here is still forwarded: the pipeline forgets it too.
        this.streams.delete(msg.id);
        return { type, body };
      case 'stream-destroy-all':
        this.streams.clear();
        this.reportedUnknown.clear();
        return { type, body };
      default:
        return { type, body };
    }
  }

  /**
   * The pipeline could not decode stream `id` (its decoder could not be made, or failed on a frame)
   * and has dropped it, with the error logged there: the server is told "cannot decode", and sends
   * the area as ordinary draws; the stream's later frames are an unknown stream's, ignored quietly.
   * `serial` is that stream's STREAM_CREATE's: a newer stream of the same id is left alone.
   */
  decodeFailed(id: number, serial?: bigint): void {
    const s = this.streams.get(id);
    if (!s || (serial !== undefined && s.serial > serial)) return;
    this.streams.delete(id);
    this.reportedUnknown.add(id);
    if (this.o.announcedCodecs !== null && id < SERVER_STREAM_IDS) this.sendReport(cannotDecodeReport(id));
  }

  /** A frame of stream `id` (STREAM_DATA or STREAM_DATA_SIZED) for mm time `mmTime`, its data `size` bytes. */
  private frame(type: number, body: Uint8Array, id: number, mmTime: number, size: number): { type: number; body: Uint8Array } | null {
    const s = this.streams.get(id);
    if (!s) return this.unknown(id, type === DisplayMsg.STREAM_DATA ? 'STREAM_DATA' : 'STREAM_DATA_SIZED');
    if (size > MAX_FRAME_BYTES) {
      return this.drop(id, `video stream ${id}: a frame of ${size} bytes is over the ${MAX_FRAME_BYTES}-byte bound; the stream is dropped`);
    }
    const report = s.report?.frame(mmTime, this.o.mediaTime(), this.wallMs());
    if (report) this.sendReport(report);
    return { type, body };
  }

  private create(id: number, codec: number, serial: bigint): boolean {
    if (id >= MAX_STREAM_IDS) {
      this.o.error(`video stream id ${id} is out of range (ids are below ${MAX_STREAM_IDS}); the stream is dropped`);
      return false;
    }
    this.reportedUnknown.delete(id);
    // The same id again replaces the stream (the pipeline does the same).
    this.streams.delete(id);
    const announced = this.o.announcedCodecs ?? [];
    if (!announced.includes(codec)) {
      const list = announced.map(codecName).join(', ') || 'none';
      this.refuse(id, `video stream ${id} uses ${codecName(codec)}, which this client did not announce (it announced ${list}); the stream is dropped`);
      return false;
    }
    if (this.streams.size >= MAX_LIVE_STREAMS) {
      this.refuse(id, `video stream ${id} would be stream number ${this.streams.size + 1}, over the server's maximum of ${MAX_LIVE_STREAMS}; the stream is dropped`);
      return false;
    }
    this.streams.set(id, { codec, report: null, serial });
    return true;
  }

  private unknown(id: number, what: string): null {
    if (!this.reportedUnknown.has(id)) {
      this.refuse(id, `${what} names video stream ${id}, which does not exist (never created, destroyed or dropped); ignoring it`);
    }
    return null;
  }

  private drop(id: number, message: string): { type: number; body: Uint8Array } {
    this.streams.delete(id);
    this.refuse(id, message);
    const destroy = new Uint8Array(4);
    new DataView(destroy.buffer).setUint32(0, id, true);
    return { type: DisplayMsg.STREAM_DESTROY, body: destroy };
  }

  /** Logs and tells the server "cannot decode" (only ids it can have: others end the channel there). */
  private refuse(id: number, message: string): void {
    // Its later messages are an unknown stream's, already told.
    this.reportedUnknown.add(id);
    this.o.error(message);
    if (this.o.announcedCodecs !== null && id < SERVER_STREAM_IDS) this.sendReport(cannotDecodeReport(id));
  }

  private sendReport(report: StreamReport): void {
    this.o.send(DisplayClientMsg.STREAM_REPORT, buildStreamReport(report));
  }
}
