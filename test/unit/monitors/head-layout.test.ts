import { describe, expect, it } from 'vitest';
import { guestHeadsOf, headLayout } from '../../../src/protocol/monitors/head-layout.ts';

describe('head layout', () => {
  it('puts enabled heads side by side in head order, disabled ones as null', () => {
    expect(headLayout([{ width: 800, height: 600 }, { width: 640, height: 480 }])).toEqual([
      { width: 800, height: 600, x: 0, y: 0 },
      { width: 640, height: 480, x: 800, y: 0 },
    ]);
    expect(headLayout([{ width: 800, height: 600 }, null, { width: 1024, height: 768 }])).toEqual([
      { width: 800, height: 600, x: 0, y: 0 },
      null,
      { width: 1024, height: 768, x: 800, y: 0 },
    ]);
  });

  it('drops trailing disabled heads', () => {
    expect(headLayout([{ width: 800, height: 600 }, null, null])).toEqual([{ width: 800, height: 600, x: 0, y: 0 }]);
  });

  it('places heads where their client monitors are, moved to start at 0,0', () => {
    expect(
      headLayout([
        { width: 1920, height: 1080, monitorX: 1920, monitorY: 100 },
        { width: 1280, height: 1024, monitorX: 0, monitorY: 0 },
      ]),
    ).toEqual([
      { width: 1920, height: 1080, x: 1920, y: 100 },
      { width: 1280, height: 1024, x: 0, y: 0 },
    ]);
  });

  it('reads MONITORS_CONFIG heads: empty ones and those past the limit left out, numbered by channel', () => {
    const head = (monitorId: number, width: number, x = 0) => ({ monitorId, surfaceId: 0, width, height: 600, x, y: 0, flags: 0 });
    expect(guestHeadsOf(0, [head(1, 640, 800), head(0, 800), head(2, 0), head(5, 100)], 4)).toEqual([
      { head: 0, channelId: 0, x: 0, y: 0, width: 800, height: 600 },
      { head: 1, channelId: 0, x: 800, y: 0, width: 640, height: 600 },
    ]);
    expect(guestHeadsOf(2, [head(0, 800)], 4)).toEqual([{ head: 2, channelId: 2, x: 0, y: 0, width: 800, height: 600 }]);
  });
});
