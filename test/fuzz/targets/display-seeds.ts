// Structure-aware seeds for the display channel: every one of its 34 server messages with a body
// that parses and applies, and draws whose images are real compressed images recorded from Xspice
// (test/fixtures/images), so that mutations reach the decoders with data they would really get.
import { join } from 'node:path';
import { encode } from 'jpeg-js';
import { DisplayMsg } from '../../../src/protocol/channels/display/display-messages.ts';
import { ImageType } from '../../../src/protocol/pixels/draw-ops.ts';
import { readRecordedImage } from '../../fixtures/images/recorded-image.ts';
import { bitmapImage, binaryImage, body, box, bytesOf, paletteBlock, type Block, type BodyBuilder } from '../../unit/channels/display/body-builder.ts';
import { frameMessages, type FramedMessage } from '../harness/mutate.ts';
import { imagesDir } from '../harness/paths.ts';
import { concat } from '../../helpers/memory-transport.ts';


/** A recorded image as an image block (descriptor and body), cached by the server under `id`. */
function recordedImage(name: string, id: bigint): { block: Block; width: number; height: number } {
  const { header, data } = readRecordedImage(join(imagesDir, `${name}.bin`));
  const d = header.descriptor;
  const block: Block = (b) => {
    b.descriptor(id, d.type, 1 /* CACHE_ME */, d.width, d.height);
    if (d.type === ImageType.ZLIB_GLZ_RGB) b.w.u32(header.body.glzDataSize ?? 0).u32(data.byteLength).bytes(data);
    else if (d.type === ImageType.JPEG_ALPHA) b.w.u8(header.body.flags ?? 0).u32(header.body.jpegSize ?? data.byteLength).u32(data.byteLength).bytes(data);
    else b.w.u32(data.byteLength).bytes(data);
  };
  return { block, width: d.width, height: d.height };
}

const copyOf = (src: Block, width: number, height: number, top = 0): Uint8Array =>
  body((x) => {
    x.base(0, box(top, 0, top + height, width));
    x.ptr(src);
    x.rect(box(0, 0, height, width));
    x.w.u16(8).u8(0);
    x.noMask();
  });

const m = (type: number, b: Uint8Array): FramedMessage => ({ type, body: b });

const surface = (id: number, w: number, h: number, format = 32, flags = id === 0 ? 1 : 0): FramedMessage =>
  m(DisplayMsg.SURFACE_CREATE, body((x) => x.w.u32(id).u32(w).u32(h).u32(format).u32(flags)));

const solidFill = (color: number, b = box(0, 0, 8, 8)): FramedMessage =>
  m(DisplayMsg.DRAW_FILL, body((x) => {
    x.base(0, b);
    x.w.u8(1).u32(color).u16(8);
    x.noMask();
  }));

const p8: Block = (x: BodyBuilder) => {
  x.descriptor(11n, 0, 1, 4, 2);
  x.w.u8(5).u8(0).u32(4).u32(2).u32(4);
  x.ptr(paletteBlock(5n, [0xff0000, 0x00ff00, 0x0000ff, 0xffffff]));
  x.w.bytes(bytesOf(0, 1, 2, 3, 3, 2, 1, 0));
};
const rgb32 = bitmapImage({ id: 12n, format: 8, width: 2, height: 2, stride: 8, pixels: new Uint8Array(16).fill(0x40) });
const a1mask = bitmapImage({ id: 13n, format: 1, width: 4, height: 2, stride: 1, pixels: bytesOf(0xa0, 0x50) });

/** Every display message once, in an order a server could send them. */
function everyMessage(): FramedMessage[] {
  const D = DisplayMsg;
  return [
    m(D.MODE, body((x) => x.w.u32(64).u32(48).u32(32))),
    surface(0, 64, 48),
    surface(1, 16, 16),
    solidFill(0x112233),
    m(D.DRAW_OPAQUE, body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.ptr(p8);
      x.rect(box(0, 0, 2, 4));
      x.w.u8(0).u16(0x10).u8(0);
      x.noMask();
    })),
    m(D.DRAW_COPY, body((x) => {
      x.base(0, box(10, 20, 12, 24), [box(10, 20, 11, 22), box(11, 20, 12, 24)]);
      x.ptr(p8);
      x.rect(box(0, 0, 2, 4));
      x.w.u16(8).u8(1);
      x.qmask(1, 0, 0, a1mask);
    })),
    m(D.DRAW_BLEND, body((x) => {
      x.base(0, box(0, 0, 2, 2));
      x.ptr(rgb32);
      x.rect(box(0, 0, 1, 1));
      x.w.u16(0x20).u8(1);
      x.noMask();
    })),
    m(D.DRAW_BLACKNESS, body((x) => x.base(0, box(0, 0, 2, 4)).noMask())),
    m(D.DRAW_WHITENESS, body((x) => x.base(0, box(2, 2, 4, 6)).noMask())),
    m(D.DRAW_INVERS, body((x) => x.base(0, box(1, 1, 3, 3)).noMask())),
    m(D.DRAW_ROP3, body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.ptr(rgb32);
      x.rect(box(0, 0, 2, 2));
      x.w.u8(2);
      x.ptr(bitmapImage({ id: 71n, format: 8, width: 2, height: 2, stride: 8, pixels: new Uint8Array(16).fill(0x11) }));
      x.point(-1, 5);
      x.w.u8(0xca).u8(0);
      x.noMask();
    })),
    m(D.DRAW_STROKE, body((x) => {
      x.base(0, box(0, 0, 40, 40));
      x.ptr((p) => {
        p.w.u32(2);
        p.w.u8(1).u32(2);
        p.point(16, 32).point(48, 32);
        p.w.u8(2 | 8).u32(1);
        p.point(-16, 0);
      });
      x.w.u8(8 | 4).u8(3);
      x.ptr((s) => s.w.i32(64).i32(32).i32(-16));
      x.w.u8(1).u32(0xff00ff).u16(1).u16(2);
    })),
    m(D.DRAW_TEXT, body((x) => {
      x.base(0, box(0, 0, 20, 30));
      x.ptr((s) => {
        s.w.u16(2).u8(1 | 8);
        s.point(5, 6).point(0, -2);
        s.w.u16(9).u16(2).bytes(bytesOf(0xff, 0x80, 0x7f, 0x00));
        s.point(15, 6).point(1, -1);
        s.w.u16(3).u16(1).bytes(bytesOf(0xe0));
      });
      x.rect(box(0, 0, 20, 30));
      x.w.u8(1).u32(0xffffff).u8(1).u32(0x000000);
      x.w.u16(8).u16(8);
    })),
    m(D.DRAW_TRANSPARENT, body((x) => {
      x.base(0, box(0, 0, 2, 2));
      x.ptr(rgb32);
      x.rect(box(0, 0, 2, 2));
      x.w.u32(0x404040).u32(0x404040);
    })),
    m(D.DRAW_ALPHA_BLEND, body((x) => {
      x.base(0, box(0, 0, 2, 2));
      x.w.u8(3).u8(200);
      x.ptr((i) => {
        i.descriptor(5n, ImageType.SURFACE, 0, 16, 16);
        i.w.u32(1);
      });
      x.rect(box(1, 1, 2, 2));
    })),
    m(D.DRAW_COMPOSITE, body((x) => {
      x.base(0, box(0, 0, 2, 4));
      x.w.u32((1 << 19) | (1 << 20));
      x.ptr(rgb32);
      x.ptr(bitmapImage({ id: 3n, format: 10, width: 4, height: 2, stride: 4, pixels: new Uint8Array(8).fill(0x80) }));
      x.w.i32(0x10000).i32(0).i32(0).i32(0).i32(0x10000).i32(0);
      x.w.i32(0x10000).i32(0).i32(0).i32(0).i32(0x10000).i32(0);
      x.w.i16(0).i16(0).i16(0).i16(0);
    })),
    m(D.COPY_BITS, body((x) => x.base(0, box(10, 10, 20, 20), [box(10, 10, 15, 15)]).point(0, 0))),
    m(D.DRAW_COPY, copyOf((i) => {
      i.descriptor(12n, ImageType.FROM_CACHE, 0, 2, 2);
    }, 2, 2)),
    m(D.INVAL_LIST, body((x) => x.w.u16(2).u8(1).u64(12n).u8(1).u64(5n))),
    m(D.INVAL_PALETTE, body((x) => x.w.u64(5n))),
    m(D.INVAL_ALL_PALETTES, new Uint8Array(0)),
    m(D.INVAL_ALL_PIXMAPS, body((x) => x.w.u8(1).u8(2).u8(0).u64(1n))),
    m(D.STREAM_CREATE, body((x) => {
      x.w.u32(0).u32(12).u8(0).u8(1).u64(1n).u32(16).u32(16).u32(16).u32(16);
      x.rect(box(0, 0, 16, 16));
      x.clip([box(0, 0, 8, 8)]);
    })),
    m(D.STREAM_DATA, body((x) => x.w.u32(12).u32(5000).u32(3).bytes(bytesOf(0xff, 0xd8, 0xff)))),
    m(D.STREAM_CLIP, body((x) => x.w.u32(12).u8(1).u32(1).i32(0).i32(0).i32(4).i32(4))),
    m(D.STREAM_DATA_SIZED, body((x) => {
      x.w.u32(12).u32(77).u32(8).u32(8);
      x.rect(box(0, 0, 8, 8));
      x.w.u32(2).bytes(bytesOf(9, 8));
    })),
    m(D.STREAM_ACTIVATE_REPORT, body((x) => x.w.u32(12).u32(2).u32(3).u32(4))),
    m(D.STREAM_DESTROY, body((x) => x.w.u32(12))),
    m(D.STREAM_DESTROY_ALL, new Uint8Array(0)),
    m(D.MONITORS_CONFIG, body((x) => {
      x.w.u16(2).u16(4);
      x.w.u32(0).u32(0).u32(32).u32(48).u32(0).u32(0).u32(0);
      x.w.u32(1).u32(0).u32(32).u32(48).u32(32).u32(0).u32(1);
    })),
    m(D.GL_SCANOUT_UNIX, body((x) => x.w.u32(64).u32(48).u32(256).u32(0x34325258).u32(1))),
    m(D.GL_DRAW, body((x) => x.w.u32(1).u32(2).u32(30).u32(40))),
    m(D.QUALITY_INDICATOR, bytesOf(1, 2, 3)),
    m(D.SURFACE_DESTROY, body((x) => x.w.u32(1))),
    m(D.RESET, new Uint8Array(0)),
    m(D.MARK, new Uint8Array(0)),
  ];
}

/** Draws of recorded compressed images: QUIC, LZ, GLZ (two sharing a window), ZLIB_GLZ, LZ4, JPEG_ALPHA. */
function recordedImages(): FramedMessage[] {
  const names = ['quic-text-2', 'quic-photo-1', 'lz-rgb-text-1', 'glz-rgb-text-1', 'glz-rgb-text-2', 'zlibglz-text-10', 'lz4-text-1', 'jpeg-alpha-photo-1'];
  const out: FramedMessage[] = [surface(0, 256, 160)];
  let id = 100n;
  for (const name of names) {
    const image = recordedImage(name, id++);
    out.push(m(DisplayMsg.DRAW_COPY, copyOf(image.block, image.width, image.height)));
  }
  out.push(m(DisplayMsg.MARK, new Uint8Array(0)));
  return out;
}

/** A legacy LZ_PLT image with its palette, and a bitmap with a cached palette. */
function palettes(): FramedMessage[] {
  const lzPlt: Block = (i) => {
    i.descriptor(30n, ImageType.LZ_PLT, 0, 4, 2);
    i.w.u8(0).u32(4);
    i.ptr(paletteBlock(9n, [1, 2, 3, 4]));
    i.w.bytes(bytesOf(0, 0, 0, 0));
  };
  const cachedPalette = bitmapImage({ id: 31n, format: 5, width: 4, height: 2, stride: 4, flags: 2, paletteId: 5n, pixels: new Uint8Array(8) });
  return [surface(0, 8, 8), m(DisplayMsg.DRAW_COPY, copyOf(p8, 4, 2)), m(DisplayMsg.DRAW_COPY, copyOf(cachedPalette, 4, 2)), m(DisplayMsg.DRAW_COPY, copyOf(lzPlt, 4, 2))];
}

/**
 * A video stream as Xspice sends one: STREAM_CREATE (bottom-up, with a clip), ACTIVATE_REPORT, a
 * full MJPEG frame, an abbreviated one (no Huffman tables, as spice:mjpeg's later frames), CLIP,
 * a STREAM_DATA_SIZED frame, DESTROY; then a second stream that DESTROY_ALL ends.
 */
function videoStream(): FramedMessage[] {
  const D = DisplayMsg;
  const frame = (w: number, h: number, grey: number) => new Uint8Array(encode({ data: new Uint8Array(w * h * 4).fill(grey), width: w, height: h }, 80).data);
  const full = frame(16, 16, 0x80);
  const create = (id: number, flags: number, clip: ReturnType<typeof box>[] | null) =>
    m(D.STREAM_CREATE, body((x) => {
      x.w.u32(0).u32(id).u8(flags).u8(1).u64(0n).u32(16).u32(16).u32(16).u32(16);
      x.rect(box(4, 4, 20, 20));
      x.clip(clip);
    }));
  const data = (id: number, mm: number, bytes: Uint8Array) => m(D.STREAM_DATA, body((x) => x.w.u32(id).u32(mm).u32(bytes.byteLength).bytes(bytes)));
  return [
    surface(0, 32, 32),
    create(49, 0, [box(4, 4, 12, 20)]),
    m(D.STREAM_ACTIVATE_REPORT, body((x) => x.w.u32(49).u32(0x1234).u32(5).u32(1000))),
    data(49, 1000, full),
    data(49, 1040, withoutHuffmanTables(frame(16, 16, 0x40))),
    m(D.STREAM_CLIP, body((x) => x.w.u32(49).u8(0))),
    m(D.STREAM_DATA_SIZED, body((x) => {
      const sized = frame(8, 8, 0xc0);
      x.w.u32(49).u32(1080).u32(8).u32(8);
      x.rect(box(0, 0, 8, 8));
      x.w.u32(sized.byteLength).bytes(sized);
    })),
    m(D.STREAM_DESTROY, body((x) => x.w.u32(49))),
    create(48, 1, null),
    data(48, 0, full),
    m(D.STREAM_DESTROY_ALL, new Uint8Array(0)),
    m(D.MARK, new Uint8Array(0)),
  ];
}

/** A JPEG without its DHT segments. */
function withoutHuffmanTables(jpeg: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [jpeg.subarray(0, 2)];
  let at = 2;
  while (jpeg[at + 1] !== 0xda) {
    const length = (jpeg[at + 2] << 8) | jpeg[at + 3];
    if (jpeg[at + 1] !== 0xc4) parts.push(jpeg.subarray(at, at + 2 + length));
    at += 2 + length;
  }
  parts.push(jpeg.subarray(at));
  return concat(parts);
}

export function displaySeeds(): Uint8Array[] {
  return [
    frameMessages(everyMessage()),
    frameMessages(recordedImages()),
    frameMessages(palettes()),
    frameMessages([surface(0, 32, 32), solidFill(0xff), binaryDraw()]),
    frameMessages(videoStream()),
  ];
}

/** A JPEG source whose data is not a JPEG: refused by the decoder, which is what the seed checks. */
function binaryDraw(): FramedMessage {
  return m(DisplayMsg.DRAW_COPY, copyOf(binaryImage(ImageType.JPEG, bytesOf(0xff, 0xd8, 0xff, 0xd9), 40n, 4, 2), 4, 2));
}
