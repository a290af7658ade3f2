// The display channel on the socket side: links, announces caches and compression, and forwards
// every display message, still compressed, to the display pipeline (src/protocol/display) through a
// DisplaySink, which decodes and draws in order wherever it runs (a worker, in the CLI).
import { SpiceChannel, type ChannelHost, type MessageHandler } from '../../channel/channel.ts';
import { Emitter } from '../../emitter.ts';
import { CapSet } from '../../link/caps.ts';
import type { DisplaySink, DisplayStats, PipelineEvent, SurfaceSnapshot } from './display-sink.ts';
import { buildDisplayInit, buildPreferredCompression, buildPreferredVideoCodecType, DisplayClientMsg } from './display-messages.ts';
import { undecodableWarning, videoCodecName, videoCodecPreference, type VideoCodecPreference } from './video-codec-preference.ts';
import { SpiceError } from '../../wire/errors.ts';
import { ImageType } from '../../pixels/draw-ops.ts';
import type { Rect } from '../../pixels/geometry.ts';
import { readDisplayBase } from './display-draw.ts';
import { DisplayMsg, VideoCodec } from './display-messages.ts';
import { WireReader } from '../../wire/reader.ts';
import { StreamGate } from './display-streams.ts';

export const DisplayCap = {
  SIZED_STREAM: 0,
  MONITORS_CONFIG: 1,
  COMPOSITE: 2,
  A8_SURFACE: 3,
  STREAM_REPORT: 4,
  LZ4_COMPRESSION: 5,
  PREF_COMPRESSION: 6,
  GL_SCANOUT: 7,
  MULTI_CODEC: 8,
  CODEC_MJPEG: 9,
  CODEC_VP8: 10,
  CODEC_H264: 11,
  PREF_VIDEO_CODEC_TYPE: 12,
  CODEC_VP9: 13,
  CODEC_H265: 14,
} as const;

export interface DisplayOptions {
  /** Sent as PREFERRED_COMPRESSION when the server allows it; null leaves the server's own choice. */
  compression: number | null;
  /** Pixels of the session image cache announced in DISPLAY_INIT. */
  cacheSizePixels: bigint;
  /** GLZ window announced in DISPLAY_INIT; 0 disables GLZ on the server. */
  glzWindowPixels: number;
  /**
   * The video codecs the user wants streams in, most wanted first (--video-codecs, the profile's
   * video-codecs); null or absent: the host's own order. Sent as PREFERRED_VIDEO_CODEC_TYPE, without
   * those the host does not decode, when the server takes it.
   */
  videoCodecs?: readonly number[] | null;
}

/** Pixels of GLZ window announced to the server (spice-gtk announces 12 to 64 MiB of pixels). */
export const GLZ_WINDOW_PIXELS = (32 * 1024 * 1024) / 4;

/** The server chooses the image compression unless asked otherwise (as spice-gtk does). */
export const defaultDisplayOptions: DisplayOptions = {
  compression: null,
  cacheSizePixels: BigInt((80 * 1024 * 1024) / 4),
  glzWindowPixels: GLZ_WINDOW_PIXELS,
  videoCodecs: null,
};

export type DisplayEvents = {
  'surface-create': { surfaceId: number; width: number; height: number; primary: boolean };
  'surface-destroy': { surfaceId: number };
  invalidate: { surfaceId: number; rect: Rect };
  mark: undefined;
  /** A message that could not be applied (a corrupt image, a malformed draw); the channel goes on. */
  'message-error': { message: string };
};

export class DisplayChannel extends SpiceChannel {
  readonly events = new Emitter<DisplayEvents>();
  private readonly sink: DisplaySink;
  private readonly options: DisplayOptions;
  private readonly unlisten: () => void;
  /** Set once MARK has been applied: the first frame is complete. */
  marked = false;
  /** The video streams: which are taken, and their STREAM_REPORTs. */
  readonly streams: StreamGate;
  /** The codecs announced in the caps: those the sink's host decodes (asked, never assumed). */
  readonly videoCodecs: readonly number[];
  /**
   * The codec order asked for as PREFERRED_VIDEO_CODEC_TYPE: sent, or chosen at the link and sent
   * with the first complete frame; null when none is (the server takes none, or nothing is decoded).
   */
  videoCodecPreference: readonly number[] | null = null;
  /** The order chosen at the link, until the first MARK sends it. */
  private plannedPreference: readonly number[] | null = null;

  constructor(host: ChannelHost, id: number, sink: DisplaySink, options: DisplayOptions = defaultDisplayOptions) {
    super(host, 2, id);
    this.sink = sink;
    this.options = options;
    this.unlisten = sink.listen(id, (e) => this.onPipelineEvent(e));
    this.videoCodecs = (sink.videoCodecs?.() ?? []).map((s) => s.codec);
    this.streams = new StreamGate({
      announcedCodecs: this.videoCodecs.length > 0 ? this.videoCodecs : null,
      send: (type, body) => this.send(type, body),
      mediaTime: () => host.mediaTime?.() ?? null,
      error: (message) => {
        this.log.error({ channel: this.name }, message);
        this.events.emit('message-error', { message });
      },
      debug: (message) => this.log.debug({ channel: this.name }, message),
    });
  }

  protected override channelCaps(): CapSet {
    const caps: number[] = [DisplayCap.MONITORS_CONFIG, DisplayCap.COMPOSITE, DisplayCap.A8_SURFACE, DisplayCap.PREF_COMPRESSION, DisplayCap.LZ4_COMPRESSION];
    // Without MULTI_CODEC the server would stream MJPEG regardless; with it and no codec cap (a host
    // that decodes no video codec) it sends the video as ordinary draws.
    caps.push(DisplayCap.MULTI_CODEC);
    const codecCaps = this.videoCodecs.map((codec) => videoCodecCaps[codec]).filter((cap) => cap !== undefined);
    if (codecCaps.length > 0) caps.push(DisplayCap.SIZED_STREAM, DisplayCap.STREAM_REPORT, ...codecCaps);
    return CapSet.of(...caps);
  }

  /**
   * A large draw is arriving: when its source image is compressed, the decoders (the CLI starts
   * its worker threads on demand, 20-30 ms) get ready while the rest of the image is in flight.
   */
  protected override onBodyPending(type: number, size: number, peek: (max: number) => Uint8Array): void {
    if (size < LARGE_DRAW_BYTES || !this.sink.expectCompressedImage) return;
    if (type !== DisplayMsg.DRAW_COPY && type !== DisplayMsg.DRAW_OPAQUE && type !== DisplayMsg.DRAW_BLEND) return;
    const imageType = sourceImageType(peek(PEEK_BYTES));
    if (imageType !== null && compressedImageTypes.has(imageType)) this.sink.expectCompressedImage();
  }

  // spice-server 0.15 crashes when a display connection ends while it waits for DISPLAY_INIT.
  protected override holdCloseUntilServerSpeaks = true;

  // Behind the ticket, not after the link result: see LinkParams.afterTicket.
  protected override onTicketSent(): void {
    this.send(
      DisplayClientMsg.INIT,
      buildDisplayInit({
        pixmapCacheId: 1,
        pixmapCacheSize: this.options.cacheSizePixels,
        glzDictionaryId: 1,
        glzWindowSize: this.options.glzWindowPixels,
      }),
    );
    if (this.options.compression !== null && this.link?.serverChannelCaps.has(DisplayCap.PREF_COMPRESSION)) {
      this.send(DisplayClientMsg.PREFERRED_COMPRESSION, buildPreferredCompression(this.options.compression));
    }
    if (this.takesVideoCodecPreference && this.videoCodecs.length > 0) {
      this.plannedPreference = this.chooseVideoCodecs(this.options.videoCodecs ?? null).order;
      this.videoCodecPreference = this.plannedPreference;
    }
  }

  /** Whether the server takes PREFERRED_VIDEO_CODEC_TYPE (its display cap 12); false before the link. */
  get takesVideoCodecPreference(): boolean {
    return this.link?.serverChannelCaps.has(DisplayCap.PREF_VIDEO_CODEC_TYPE) ?? false;
  }

  /**
   * Asks the server to stream in `wanted`'s order (null: this host's own), leaving out what this
   * host does not decode, with a warning naming it. The server stops its streams and starts them
   * again in the first codec of its list, sorted by this, that it can encode. Throws a SpiceError
   * when the server takes no preference or this host decodes no codec.
   */
  preferVideoCodecs(wanted: readonly number[] | null): VideoCodecPreference {
    if (!this.takesVideoCodecPreference) {
      throw new SpiceError('protocol', `the server's display channel ${this.id} takes no video codec preference (it lacks the PREF_VIDEO_CODEC_TYPE cap)`);
    }
    const preference = this.chooseVideoCodecs(wanted);
    this.sendVideoCodecPreference(preference.order);
    return preference;
  }

  private sendVideoCodecPreference(order: readonly number[]): void {
    this.plannedPreference = null;
    this.send(DisplayClientMsg.PREFERRED_VIDEO_CODEC_TYPE, buildPreferredVideoCodecType(order));
    this.videoCodecPreference = order;
    // Logged where a session's log is kept (serve -v): spice-server 0.15.1 has been seen to stop
    // sending on a display channel when this message came too early (docs/protocol.md), so a
    // display that goes silent can be placed against it.
    this.log.info({ channel: this.name, codecs: order.map(videoCodecName) }, 'asked the server for video codecs in this order');
  }

  /** The order to ask for, from `wanted` and what this host decodes; warns about what it leaves out. */
  private chooseVideoCodecs(wanted: readonly number[] | null): VideoCodecPreference {
    const decodable = this.sink.videoCodecs?.() ?? [];
    if (decodable.length === 0) throw new SpiceError('usage', 'this client decodes no video codec here, so it has none to prefer');
    const preference = videoCodecPreference(wanted, decodable);
    const warning = undecodableWarning(preference, decodable);
    if (warning) {
      if (this.host.warn) this.host.warn(warning);
      else this.log.warn({ channel: this.name }, warning);
    }
    return preference;
  }

  protected override handlerFor(type: number): MessageHandler<this> | undefined {
    return (streamMessages.has(type) ? throughStreamGate : forwardToPipeline) as MessageHandler<this>;
  }

  submit(type: number, body: Uint8Array, serial: bigint): void {
    this.sink.submit(this.id, type, body, serial);
  }

  /** The primary surface after everything received so far has been drawn. */
  snapshot(options?: { live?: boolean }): Promise<SurfaceSnapshot | null> {
    return this.sink.snapshot(this.id, options);
  }

  stats(): Promise<DisplayStats> {
    return this.sink.stats(this.id);
  }

  override close(): Promise<void> {
    this.unlisten();
    return super.close();
  }

  private onPipelineEvent(e: PipelineEvent): void {
    switch (e.type) {
      case 'surface-create':
        this.events.emit('surface-create', { surfaceId: e.surfaceId, width: e.width, height: e.height, primary: e.primary });
        return;
      case 'surface-destroy':
        this.events.emit('surface-destroy', { surfaceId: e.surfaceId });
        return;
      case 'invalidate':
        this.events.emit('invalidate', { surfaceId: e.surfaceId, rect: e.rect });
        return;
      case 'mark':
        // Without a preference spice-server streams with the first codec of its own list (MJPEG by
        // default) that the client announced: the user's, else this host's best, is asked for. Only
        // once the first frame is complete: sent while spice-server 0.15 still sets the new client
        // up (its streams' STREAM_CREATE), it was seen to send a stream's clip without the stream,
        // then nothing more, and to stop answering new links.
        if (!this.marked && this.state === 'ready' && this.plannedPreference) this.sendVideoCodecPreference(this.plannedPreference);
        this.marked = true;
        this.events.emit('mark', undefined);
        return;
      case 'message-error':
        this.events.emit('message-error', { message: e.message });
        return;
      case 'stream-error':
        // Logged by the pipeline; the server is told here, where the socket is.
        this.streams.decodeFailed(e.streamId, e.serial);
        this.events.emit('message-error', { message: e.message });
        return;
      case 'applied':
        return;
    }
  }
}

/** Display messages are parsed and applied by the pipeline (display/display-pipeline.ts), in order. */
const forwardToPipeline: MessageHandler<DisplayChannel> = {
  name: 'display message',
  handle(ch, body, serial, type) {
    ch.submit(type, body, serial);
  },
};

/** Stream messages pass the stream gate (display-streams.ts) before the pipeline. */
const throughStreamGate: MessageHandler<DisplayChannel> = {
  name: 'stream message',
  handle(ch, body, serial, type) {
    const admitted = ch.streams.admit(type, body, serial);
    if (admitted) ch.submit(admitted.type, admitted.body, serial);
  },
};

const streamMessages = new Set<number>([
  DisplayMsg.STREAM_CREATE,
  DisplayMsg.STREAM_DATA,
  DisplayMsg.STREAM_DATA_SIZED,
  DisplayMsg.STREAM_CLIP,
  DisplayMsg.STREAM_DESTROY,
  DisplayMsg.STREAM_DESTROY_ALL,
  DisplayMsg.STREAM_ACTIVATE_REPORT,
]);

/** The display cap that announces each codec. */
const videoCodecCaps: Partial<Record<number, number>> = {
  [VideoCodec.MJPEG]: DisplayCap.CODEC_MJPEG,
  [VideoCodec.VP8]: DisplayCap.CODEC_VP8,
  [VideoCodec.H264]: DisplayCap.CODEC_H264,
  [VideoCodec.VP9]: DisplayCap.CODEC_VP9,
  [VideoCodec.H265]: DisplayCap.CODEC_H265,
};

/** Draws this large are worth starting decoders early for (a large photo, a whole screen). */
const LARGE_DRAW_BYTES = 64 * 1024;
/** Enough for the display base with a few clip rectangles, the image pointer and its descriptor. */
const PEEK_BYTES = 512;

const compressedImageTypes = new Set<number>([
  ImageType.QUIC,
  ImageType.LZ_PLT,
  ImageType.LZ_RGB,
  ImageType.GLZ_RGB,
  ImageType.JPEG,
  ImageType.ZLIB_GLZ_RGB,
  ImageType.JPEG_ALPHA,
  ImageType.LZ4,
]);

/**
 * The type of the source image of a COPY, OPAQUE or BLEND draw from the first bytes of its body
 * (the display base, then a pointer to the image, whose descriptor has the type after its id);
 * null when those bytes do not reach it. A hint only: the body is parsed properly once whole.
 */
export function sourceImageType(head: Uint8Array): number | null {
  try {
    const r = new WireReader(head, 0, { channel: 'display', messageName: 'draw (peeked)' });
    readDisplayBase(r);
    const imageAt = r.u32();
    const descriptor = r.at(imageAt, 'source image');
    descriptor.skip(8);
    return descriptor.u8();
  } catch {
    return null;
  }
}
