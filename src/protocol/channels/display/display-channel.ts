// The display channel: surfaces, draw commands into the software compositor, caches and the
// MARK that says the first frame is complete. Decoding runs inline here for now; the codecs issue
// moves it off this thread.
import { Canvas } from '../../canvas/canvas.ts';
import { SpiceChannel, type ChannelHost, type MessageHandler } from '../../channel/channel.ts';
import { Emitter } from '../../emitter.ts';
import { CapSet } from '../../link/caps.ts';
import { isSpiceError } from '../../wire/errors.ts';
import {
  buildDisplayInit,
  DisplayClientMsg,
  buildPreferredCompression,
  ImageCompression,
  parseDisplayMessage,
  type DisplayMessage,
} from './display-messages.ts';
import { SurfaceFlags, type Rect } from './draw-types.ts';
import { DisplayImageResolver, imagesOf, PaletteStore, type SharedDecoding } from './image-resolver.ts';

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
}

/** Pixels of GLZ window announced to the server (spice-gtk announces 12 to 64 MiB of pixels). */
export const GLZ_WINDOW_PIXELS = (32 * 1024 * 1024) / 4;

/** Until the JPEG decoder lands, images come uncompressed unless asked otherwise. */
export const defaultDisplayOptions: DisplayOptions = {
  compression: ImageCompression.OFF,
  cacheSizePixels: BigInt((80 * 1024 * 1024) / 4),
  glzWindowPixels: GLZ_WINDOW_PIXELS,
};

export type DisplayEvents = {
  'surface-create': { surfaceId: number; width: number; height: number; primary: boolean };
  'surface-destroy': { surfaceId: number };
  invalidate: { surfaceId: number; rect: Rect };
  mark: undefined;
  'image-error': { error: Error };
};

export class DisplayChannel extends SpiceChannel {
  readonly canvas = new Canvas();
  readonly events = new Emitter<DisplayEvents>();
  readonly palettes = new PaletteStore();
  private readonly resolver: DisplayImageResolver;
  private readonly shared: SharedDecoding;
  private readonly options: DisplayOptions;
  marked = false;
  /** Draw operations received, by name, for logs and tests of what a server really sends. */
  readonly opCounts = new Map<string, number>();
  /** Images received in draw commands, by type (bitmap, quic, glz-rgb, ...). */
  readonly imageCounts = new Map<string, number>();
  /** Messages received that spicedesk cannot act on yet, by name, for `info` and logs. */
  readonly unsupportedSeen = new Map<string, number>();

  constructor(host: ChannelHost, id: number, shared: SharedDecoding, options: DisplayOptions = defaultDisplayOptions) {
    super(host, 2, id);
    this.shared = shared;
    this.options = options;
    this.resolver = new DisplayImageResolver(shared, this.palettes);
  }

  protected override channelCaps(): CapSet {
    return CapSet.of(
      DisplayCap.MONITORS_CONFIG,
      DisplayCap.COMPOSITE,
      DisplayCap.A8_SURFACE,
      DisplayCap.PREF_COMPRESSION,
      DisplayCap.LZ4_COMPRESSION,
    );
  }

  protected override onReady(): void {
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
  }

  protected override handlerFor(_type: number): MessageHandler<this> | undefined {
    return displayHandler as MessageHandler<this>;
  }

  /** Applies one parsed message; an undecodable image spoils that draw only. */
  async apply(msg: DisplayMessage, body: Uint8Array, type: number): Promise<void> {
    switch (msg.type) {
      case 'surface-create': {
        const s = msg.surface;
        const primary = (s.flags & SurfaceFlags.PRIMARY) !== 0 || s.surfaceId === 0;
        this.canvas.createSurface(s);
        this.events.emit('surface-create', { surfaceId: s.surfaceId, width: s.width, height: s.height, primary });
        return;
      }
      case 'surface-destroy':
        this.canvas.destroySurface(msg.surfaceId);
        this.events.emit('surface-destroy', { surfaceId: msg.surfaceId });
        return;
      case 'mode':
        // Legacy servers announce the primary surface with MODE instead of SURFACE_CREATE.
        this.canvas.createSurface({ surfaceId: 0, width: msg.xRes, height: msg.yRes, format: 32, flags: SurfaceFlags.PRIMARY });
        this.events.emit('surface-create', { surfaceId: 0, width: msg.xRes, height: msg.yRes, primary: true });
        return;
      case 'draw':
        this.opCounts.set(msg.draw.op, (this.opCounts.get(msg.draw.op) ?? 0) + 1);
        for (const image of imagesOf(msg.draw)) this.imageCounts.set(image.body.kind, (this.imageCounts.get(image.body.kind) ?? 0) + 1);
        try {
          // GLZ images may wait for another channel; the channel's later messages wait with them.
          const preparing = this.resolver.prepare(msg.draw);
          if (preparing) await preparing;
          this.canvas.draw(msg.draw, this.resolver);
        } catch (error) {
          if (!isSpiceError(error)) throw error;
          this.log.error({ op: msg.draw.op, err: error.message }, `could not draw ${msg.draw.op}: ${error.message}`);
          this.events.emit('image-error', { error });
          return;
        }
        this.events.emit('invalidate', { surfaceId: msg.draw.base.surfaceId, rect: msg.draw.base.box });
        return;
      case 'copy-bits':
        this.canvas.copyBits(msg.base, msg.srcPos);
        this.events.emit('invalidate', { surfaceId: msg.base.surfaceId, rect: msg.base.box });
        return;
      case 'mark':
        this.marked = true;
        this.events.emit('mark', undefined);
        return;
      case 'reset':
        this.canvas.reset();
        this.palettes.clear();
        return;
      case 'inval-list':
        for (const r of msg.resources) this.shared.cache.remove(r.id);
        return;
      case 'inval-all-pixmaps':
        for (const w of msg.waits) await this.host.waitForSerial(w.channelType, w.channelId, w.messageSerial);
        this.shared.cache.clear();
        return;
      case 'inval-palette':
        this.palettes.remove(msg.id);
        return;
      case 'inval-all-palettes':
        this.palettes.clear();
        return;
      case 'monitors-config':
        this.log.debug({ heads: msg.heads }, 'monitors config');
        return;
      default:
        this.noteUnsupported(msg.type, type, body.byteLength);
    }
  }

  private noteUnsupported(name: string, type: number, size: number): void {
    const n = (this.unsupportedSeen.get(name) ?? 0) + 1;
    this.unsupportedSeen.set(name, n);
    if (n === 1) this.log.warn({ type, size }, `${name} is not supported yet; ignoring it`);
  }
}

/** Every display message goes through the one parser table of display-messages.ts. */
const displayHandler: MessageHandler<DisplayChannel> = {
  name: 'display message',
  async handle(ch, body, _serial, type) {
    const msg = parseDisplayMessage(type, body, ch.name);
    if (!msg) {
      ch.log.warn({ type, size: body.byteLength }, `ignoring unknown display message ${type}`);
      return;
    }
    await ch.apply(msg, body, type);
  },
};
