import { describe, expect, it } from 'vitest';
import {
  buildDisplayInit,
  buildGlDrawDone,
  buildPreferredCompression,
  buildPreferredVideoCodecType,
  buildStreamReport,
  DisplayMsg,
  displayMessageParsers,
  ImageCompression,
  parseDisplayMessage,
  type DisplayMessage,
} from '../../../../src/protocol/channels/display/display-messages.ts';
import { SpiceError } from '../../../../src/protocol/wire/errors.ts';
import { body, box, bytesOf } from './body-builder.ts';

function parse(type: number, b: Uint8Array): DisplayMessage {
  const msg = parseDisplayMessage(type, b);
  if (!msg) throw new Error(`no parser for ${type}`);
  return msg;
}

describe('the message table', () => {
  it('numbers the server messages as spice.proto does', () => {
    // Spot checks against the enum in spice-protocol's enums.h.
    expect(DisplayMsg.MODE).toBe(101);
    expect(DisplayMsg.INVAL_ALL_PALETTES).toBe(108);
    expect(DisplayMsg.STREAM_CREATE).toBe(122);
    expect(DisplayMsg.STREAM_DESTROY_ALL).toBe(126);
    expect(DisplayMsg.DRAW_FILL).toBe(302);
    expect(DisplayMsg.DRAW_ALPHA_BLEND).toBe(313);
    expect(DisplayMsg.SURFACE_CREATE).toBe(314);
    expect(DisplayMsg.STREAM_DATA_SIZED).toBe(316);
    expect(DisplayMsg.MONITORS_CONFIG).toBe(317);
    expect(DisplayMsg.DRAW_COMPOSITE).toBe(318);
    expect(DisplayMsg.QUALITY_INDICATOR).toBe(322);
  });

  it('has one entry per message number, named after it', () => {
    const numbers = Object.values(DisplayMsg);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(Object.keys(displayMessageParsers).map(Number).sort((a, b) => a - b)).toEqual([...numbers].sort((a, b) => a - b));
    for (const [name, number] of Object.entries(DisplayMsg)) {
      expect(displayMessageParsers[number].name).toBe(name);
    }
  });

  it('returns null for numbers it does not know, including base-channel ones', () => {
    expect(parseDisplayMessage(3, bytesOf(0, 0, 0, 0, 0, 0, 0, 0))).toBeNull();
    expect(parseDisplayMessage(109, new Uint8Array(0))).toBeNull();
    expect(parseDisplayMessage(400, new Uint8Array(0))).toBeNull();
  });
});

describe('state and cache messages', () => {
  it('MODE', () => {
    const b = body((x) => x.w.u32(1024).u32(768).u32(32));
    expect(parse(101, b)).toEqual({ type: 'mode', xRes: 1024, yRes: 768, bits: 32 });
  });

  it('MARK, RESET, INVAL_ALL_PALETTES, STREAM_DESTROY_ALL are empty', () => {
    const empty = new Uint8Array(0);
    expect(parse(102, empty)).toEqual({ type: 'mark' });
    expect(parse(103, empty)).toEqual({ type: 'reset' });
    expect(parse(108, empty)).toEqual({ type: 'inval-all-palettes' });
    expect(parse(126, empty)).toEqual({ type: 'stream-destroy-all' });
  });

  it('COPY_BITS with a clip', () => {
    const b = body((x) => {
      x.base(3, box(10, 20, 30, 40), [box(10, 20, 15, 25), box(16, 21, 30, 40)]);
      x.point(-5, 7);
    });
    expect(parse(104, b)).toEqual({
      type: 'copy-bits',
      base: {
        surfaceId: 3,
        box: { top: 10, left: 20, bottom: 30, right: 40 },
        clip: [
          { top: 10, left: 20, bottom: 15, right: 25 },
          { top: 16, left: 21, bottom: 30, right: 40 },
        ],
      },
      srcPos: { x: -5, y: 7 },
    });
  });

  it('INVAL_LIST', () => {
    const b = body((x) => x.w.u16(2).u8(1).u64(0x1122334455667788n).u8(1).u64(5n));
    expect(parse(105, b)).toEqual({
      type: 'inval-list',
      resources: [
        { type: 1, id: 0x1122334455667788n },
        { type: 1, id: 5n },
      ],
    });
  });

  it('INVAL_ALL_PIXMAPS carries the channels to wait for', () => {
    const b = body((x) => x.w.u8(2).u8(2).u8(0).u64(1000n).u8(2).u8(1).u64(0xffffffffffffffffn));
    expect(parse(106, b)).toEqual({
      type: 'inval-all-pixmaps',
      waits: [
        { channelType: 2, channelId: 0, messageSerial: 1000n },
        { channelType: 2, channelId: 1, messageSerial: 0xffffffffffffffffn },
      ],
    });
  });

  it('INVAL_PALETTE', () => {
    expect(parse(107, body((x) => x.w.u64(0xabcdefn)))).toEqual({ type: 'inval-palette', id: 0xabcdefn });
  });

  it('SURFACE_CREATE and SURFACE_DESTROY', () => {
    const create = body((x) => x.w.u32(0).u32(1920).u32(1080).u32(32).u32(1));
    expect(parse(314, create)).toEqual({
      type: 'surface-create',
      surface: { surfaceId: 0, width: 1920, height: 1080, format: 32, flags: 1 },
    });
    expect(parse(315, body((x) => x.w.u32(9)))).toEqual({ type: 'surface-destroy', surfaceId: 9 });
  });

  it('MONITORS_CONFIG', () => {
    const b = body((x) => {
      x.w.u16(2).u16(4);
      x.w.u32(0).u32(0).u32(1024).u32(768).u32(0).u32(0).u32(0);
      x.w.u32(1).u32(0).u32(800).u32(600).u32(1024).u32(0).u32(1);
    });
    expect(parse(317, b)).toEqual({
      type: 'monitors-config',
      maxAllowed: 4,
      heads: [
        { monitorId: 0, surfaceId: 0, width: 1024, height: 768, x: 0, y: 0, flags: 0 },
        { monitorId: 1, surfaceId: 0, width: 800, height: 600, x: 1024, y: 0, flags: 1 },
      ],
    });
  });
});

describe('stream messages', () => {
  it('STREAM_CREATE', () => {
    const b = body((x) => {
      x.w.u32(0).u32(12).u8(1).u8(3).u64(123456789n).u32(640).u32(480).u32(1280).u32(960);
      x.rect(box(100, 200, 580, 840));
      x.clip([box(100, 200, 300, 400)]);
    });
    expect(parse(122, b)).toEqual({
      type: 'stream-create',
      stream: {
        surfaceId: 0,
        id: 12,
        flags: 1,
        codecType: 3,
        stamp: 123456789n,
        streamWidth: 640,
        streamHeight: 480,
        srcWidth: 1280,
        srcHeight: 960,
        dest: { top: 100, left: 200, bottom: 580, right: 840 },
        clip: [{ top: 100, left: 200, bottom: 300, right: 400 }],
      },
    });
  });

  it('STREAM_DATA keeps the frame as a view into the body', () => {
    const b = body((x) => x.w.u32(12).u32(5000).u32(3).bytes(bytesOf(0xff, 0xd8, 0xff)));
    const msg = parse(123, b);
    expect(msg).toEqual({ type: 'stream-data', id: 12, multiMediaTime: 5000, data: bytesOf(0xff, 0xd8, 0xff) });
    if (msg.type !== 'stream-data') throw new Error('wrong type');
    expect(msg.data.buffer).toBe(b.buffer);
    expect(msg.data.byteOffset).toBe(12);
  });

  it('STREAM_DATA_SIZED', () => {
    const b = body((x) => {
      x.w.u32(4).u32(77).u32(320).u32(240);
      x.rect(box(0, 0, 240, 320));
      x.w.u32(2).bytes(bytesOf(9, 8));
    });
    expect(parse(316, b)).toEqual({
      type: 'stream-data-sized',
      id: 4,
      multiMediaTime: 77,
      width: 320,
      height: 240,
      dest: { top: 0, left: 0, bottom: 240, right: 320 },
      data: bytesOf(9, 8),
    });
  });

  it('STREAM_CLIP with no clipping, STREAM_DESTROY', () => {
    expect(parse(124, body((x) => x.w.u32(6).u8(0)))).toEqual({ type: 'stream-clip', id: 6, clip: null });
    expect(parse(124, body((x) => x.w.u32(6).u8(1).u32(0)))).toEqual({ type: 'stream-clip', id: 6, clip: [] });
    expect(parse(125, body((x) => x.w.u32(6)))).toEqual({ type: 'stream-destroy', id: 6 });
  });

  it('STREAM_ACTIVATE_REPORT', () => {
    expect(parse(319, body((x) => x.w.u32(1).u32(2).u32(3).u32(4)))).toEqual({
      type: 'stream-activate-report',
      streamId: 1,
      uniqueId: 2,
      maxWindowSize: 3,
      timeoutMs: 4,
    });
  });
});

describe('GL and quality messages', () => {
  it('GL_SCANOUT_UNIX has no fd bytes in the body', () => {
    const b = body((x) => x.w.u32(1920).u32(1080).u32(7680).u32(0x34325258).u32(1));
    expect(b.byteLength).toBe(20);
    expect(parse(320, b)).toEqual({
      type: 'gl-scanout-unix',
      width: 1920,
      height: 1080,
      stride: 7680,
      drmFourccFormat: 0x34325258,
      flags: 1,
    });
  });

  it('GL_DRAW', () => {
    expect(parse(321, body((x) => x.w.u32(1).u32(2).u32(30).u32(40)))).toEqual({ type: 'gl-draw', x: 1, y: 2, width: 30, height: 40 });
  });

  it('QUALITY_INDICATOR takes the whole body', () => {
    expect(parse(322, bytesOf(1, 2, 3))).toEqual({ type: 'quality-indicator', data: bytesOf(1, 2, 3) });
  });
});

describe('client messages', () => {
  it('DISPLAY_INIT is 14 bytes: u8 id, i64 cache, u8 glz id, i32 window', () => {
    const out = buildDisplayInit({ pixmapCacheId: 1, pixmapCacheSize: 0x0102030405n, glzDictionaryId: 2, glzWindowSize: 0x01000000 });
    expect([...out]).toEqual([1, 0x05, 0x04, 0x03, 0x02, 0x01, 0, 0, 0, 2, 0x00, 0x00, 0x00, 0x01]);
  });

  it('DISPLAY_INIT refuses values that do not fit their fields', () => {
    const ok = { pixmapCacheId: 1, pixmapCacheSize: 1n, glzDictionaryId: 1, glzWindowSize: 1 };
    expect(() => buildDisplayInit({ ...ok, pixmapCacheId: 256 })).toThrow(SpiceError);
    expect(() => buildDisplayInit({ ...ok, pixmapCacheSize: -1n })).toThrow(SpiceError);
    expect(() => buildDisplayInit({ ...ok, glzWindowSize: 2 ** 31 })).toThrow(SpiceError);
  });

  it('PREFERRED_COMPRESSION is one byte', () => {
    expect([...buildPreferredCompression(ImageCompression.LZ4)]).toEqual([7]);
    expect([...buildPreferredCompression(ImageCompression.AUTO_GLZ)]).toEqual([2]);
    expect(() => buildPreferredCompression(8)).toThrow(SpiceError);
  });

  it('STREAM_REPORT', () => {
    const out = buildStreamReport({
      streamId: 1,
      uniqueId: 2,
      startFrameMmTime: 3,
      endFrameMmTime: 4,
      numFrames: 0,
      numDrops: 0xffffffff,
      lastFrameDelay: -2,
      audioDelay: 0xffffffff,
    });
    expect([...out]).toEqual([
      1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff,
    ]);
  });

  it('PREFERRED_VIDEO_CODEC_TYPE and GL_DRAW_DONE', () => {
    expect([...buildPreferredVideoCodecType([3, 1])]).toEqual([2, 3, 1]);
    expect(() => buildPreferredVideoCodecType([300])).toThrow(SpiceError);
    expect(buildGlDrawDone().byteLength).toBe(0);
  });
});
