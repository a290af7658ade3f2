// The meaning of the cursor messages: the cache (CACHE_ME, FROM_CACHE, INVAL_ONE, INVAL_ALL, RESET,
// INIT), visibility (HIDE, MOVE showing again, NONE) and the events each message causes.
import { describe, expect, it } from 'vitest';
import type { CursorImage } from '../../../../src/protocol/channels/cursor/cursor-decode.ts';
import { CursorFlags, CursorMsg, CursorType, parseCursorMessage } from '../../../../src/protocol/channels/cursor/cursor-messages.ts';
import { CURSOR_CACHE_LIMIT, CursorState } from '../../../../src/protocol/channels/cursor/cursor-state.ts';
import { MemoryBudget, MemoryLimitError } from '../../../../src/protocol/wire/memory-budget.ts';
import { recordingLogger } from '../../../helpers/logger.ts';
import { bytes, initBody, invalOneBody, moveBody, setBody, words, type CursorSpec } from './cursor-bodies.ts';

type Event = ['shape', CursorImage | null] | ['move', number, number] | ['visible', boolean];

function setup(budget?: MemoryBudget) {
  const events: Event[] = [];
  const logs: string[] = [];
  const state = new CursorState(
    {
      shape: (image) => events.push(['shape', image]),
      move: (x, y) => events.push(['move', x, y]),
      visible: (v) => events.push(['visible', v]),
    },
    recordingLogger(logs),
    {},
    budget,
  );
  const feed = (type: number, body: Uint8Array = new Uint8Array(0)) => state.apply(parseCursorMessage(type, body));
  return { state, events, logs, feed };
}

/** A 1x1 COLOR32 cursor of one opaque colour. */
const solid = (rgb: number, flags = 0, unique = 0n): CursorSpec => ({ flags, unique, type: CursorType.COLOR32, width: 1, height: 1, data: bytes(words(rgb), [0]) });
const fromCache = (unique: bigint): CursorSpec => ({ flags: CursorFlags.FROM_CACHE, unique, type: CursorType.COLOR32, width: 1, height: 1 });
const rgbOf = (img: CursorImage | null | undefined) => (img ? Array.from(img.rgba.subarray(0, 3)) : null);

describe('cursor cache', () => {
  it('CACHE_ME stores under header.unique and FROM_CACHE shows it again', () => {
    const s = setup();
    s.feed(CursorMsg.INIT, initBody({ cursor: solid(0x112233, CursorFlags.CACHE_ME, 7n) }));
    s.feed(CursorMsg.SET, setBody({ cursor: solid(0x445566) }));
    expect(rgbOf(s.state.image)).toEqual([0x44, 0x55, 0x66]);
    s.events.length = 0;
    s.feed(CursorMsg.SET, setBody({ cursor: fromCache(7n) }));
    expect(rgbOf(s.state.image)).toEqual([0x11, 0x22, 0x33]);
    expect(s.events.filter((e) => e[0] === 'shape')).toHaveLength(1);
    expect(s.state.cache.size).toBe(1);
  });

  it('a cursor without CACHE_ME is not stored', () => {
    const s = setup();
    s.feed(CursorMsg.INIT, initBody({ cursor: solid(0x112233, 0, 7n) }));
    expect(s.state.cache.size).toBe(0);
  });

  it('FROM_CACHE of a missing id logs an error and leaves the cursor unchanged', () => {
    const s = setup();
    s.feed(CursorMsg.INIT, initBody({ cursor: solid(0x010203) }));
    s.events.length = 0;
    s.feed(CursorMsg.SET, setBody({ x: 3, y: 4, cursor: fromCache(99n) }));
    expect(rgbOf(s.state.image)).toEqual([1, 2, 3]);
    expect(s.events).toEqual([['move', 3, 4]]);
    expect(s.logs.some((l) => /^error: .*cursor 63 from the cache/.test(l))).toBe(true);
  });

  it('INVAL_ONE drops one entry, INVAL_ALL every entry', () => {
    const s = setup();
    s.feed(CursorMsg.INIT, initBody({ cursor: solid(0x000001, CursorFlags.CACHE_ME, 1n) }));
    s.feed(CursorMsg.SET, setBody({ cursor: solid(0x000002, CursorFlags.CACHE_ME, 2n) }));
    s.feed(CursorMsg.SET, setBody({ cursor: solid(0x000003, CursorFlags.CACHE_ME, 3n) }));
    s.feed(CursorMsg.INVAL_ONE, invalOneBody(2n));
    expect([...s.state.cache.keys()]).toEqual([1n, 3n]);
    s.feed(CursorMsg.SET, setBody({ cursor: fromCache(2n) }));
    expect(rgbOf(s.state.image)).toEqual([0, 0, 3]); // the miss left the last shape
    s.feed(CursorMsg.SET, setBody({ cursor: fromCache(1n) }));
    expect(rgbOf(s.state.image)).toEqual([0, 0, 1]);
    s.feed(CursorMsg.INVAL_ALL);
    expect(s.state.cache.size).toBe(0);
    s.feed(CursorMsg.SET, setBody({ cursor: fromCache(3n) }));
    expect(rgbOf(s.state.image)).toEqual([0, 0, 1]);
  });

  it('INIT starts with an empty cache', () => {
    const s = setup();
    s.feed(CursorMsg.INIT, initBody({ cursor: solid(0x000001, CursorFlags.CACHE_ME, 1n) }));
    s.feed(CursorMsg.INIT, initBody({ cursor: solid(0x000002) }));
    expect(s.state.cache.size).toBe(0);
  });

  it('RESET clears the cache and hides the cursor', () => {
    const s = setup();
    s.feed(CursorMsg.INIT, initBody({ cursor: solid(0x000001, CursorFlags.CACHE_ME, 1n) }));
    s.events.length = 0;
    s.feed(CursorMsg.RESET);
    expect(s.state.cache.size).toBe(0);
    expect(s.state.image).toBeNull();
    expect(s.state.visible).toBe(false);
    expect(s.events).toEqual([['shape', null], ['visible', false]]);
  });

  it('stays bounded when a server caches without end, dropping the oldest entry', () => {
    const s = setup();
    s.feed(CursorMsg.INIT, initBody({ cursor: 'none' }));
    for (let i = 1; i <= CURSOR_CACHE_LIMIT + 1; i++) s.feed(CursorMsg.SET, setBody({ cursor: solid(i, CursorFlags.CACHE_ME, BigInt(i)) }));
    expect(s.state.cache.size).toBe(CURSOR_CACHE_LIMIT);
    expect(s.state.cache.has(1n)).toBe(false);
    expect(s.state.cache.has(BigInt(CURSOR_CACHE_LIMIT + 1))).toBe(true);
    expect(s.logs.some((l) => l.startsWith('warn: '))).toBe(true);
  });
});

describe('cursor visibility and position', () => {
  it('INIT reports shape, position and visibility', () => {
    const s = setup();
    s.feed(CursorMsg.INIT, initBody({ x: 10, y: 20, visible: true, cursor: solid(0xffffff) }));
    expect(s.events.map((e) => e[0])).toEqual(['shape', 'move', 'visible']);
    expect(s.events[1]).toEqual(['move', 10, 20]);
    expect(s.events[2]).toEqual(['visible', true]);
    expect(s.state.visible).toBe(true);
  });

  it('INIT with no cursor reports no shape and stays hidden', () => {
    const s = setup();
    s.feed(CursorMsg.INIT, initBody({ visible: true, cursor: 'none' }));
    expect(s.events).toEqual([['shape', null]]);
    expect(s.state.visible).toBe(false);
  });

  it('SET with visible = 0 keeps the shape but hides it', () => {
    const s = setup();
    s.feed(CursorMsg.INIT, initBody({ cursor: solid(0x123456) }));
    s.feed(CursorMsg.SET, setBody({ visible: false, cursor: solid(0x654321) }));
    expect(rgbOf(s.state.image)).toEqual([0x65, 0x43, 0x21]);
    expect(s.state.visible).toBe(false);
  });

  it('HIDE hides; MOVE moves and shows it again', () => {
    const s = setup();
    s.feed(CursorMsg.INIT, initBody({ cursor: solid(0x123456) }));
    s.events.length = 0;
    s.feed(CursorMsg.HIDE);
    s.feed(CursorMsg.HIDE);
    expect(s.events).toEqual([['visible', false]]);
    s.feed(CursorMsg.MOVE, moveBody(-3, 40));
    expect(s.events).toEqual([['visible', false], ['move', -3, 40], ['visible', true]]);
    expect([s.state.x, s.state.y]).toEqual([-3, 40]);
  });

  it('MOVE does not show a cursor that has no shape', () => {
    const s = setup();
    s.feed(CursorMsg.INIT, initBody({ cursor: 'none' }));
    s.feed(CursorMsg.MOVE, moveBody(1, 1));
    expect(s.state.visible).toBe(false);
  });

  it('SET with NONE removes the shape', () => {
    const s = setup();
    s.feed(CursorMsg.INIT, initBody({ cursor: solid(0x123456) }));
    s.events.length = 0;
    s.feed(CursorMsg.SET, setBody({ cursor: 'none' }));
    expect(s.events).toEqual([['shape', null], ['visible', false]]);
  });
});

describe('cursor cache and the memory budget', () => {
  /** A side x side COLOR32 cursor: side*side*4 bytes of pixels, side*side/8 of mask. */
  const big = (side: number, unique: bigint): CursorSpec => ({
    flags: CursorFlags.CACHE_ME,
    unique,
    type: CursorType.COLOR32,
    width: side,
    height: side,
    data: bytes(new Uint8Array(side * side * 4), new Uint8Array((side / 8) * side)),
  });

  it('charges each cached cursor and gives it back on INVAL_ONE, INVAL_ALL and RESET', () => {
    const budget = new MemoryBudget(64 * 1024 * 1024);
    const s = setup(budget);
    s.feed(CursorMsg.SET, setBody({ cursor: big(64, 1n) }));
    s.feed(CursorMsg.SET, setBody({ cursor: big(64, 2n) }));
    expect(budget.usedFor('cursor cache')).toBeGreaterThanOrEqual(2 * 64 * 64 * 4);
    s.feed(CursorMsg.INVAL_ONE, invalOneBody(1n));
    expect(budget.usedFor('cursor cache')).toBeGreaterThanOrEqual(64 * 64 * 4);
    expect(budget.usedFor('cursor cache')).toBeLessThan(2 * 64 * 64 * 4);
    s.feed(CursorMsg.INVAL_ALL);
    expect(budget.used).toBe(0);
    s.feed(CursorMsg.SET, setBody({ cursor: big(64, 3n) }));
    s.feed(CursorMsg.RESET);
    expect(budget.used).toBe(0);
  });

  it('a server caching more large cursors than the budget holds is refused with the budget error', () => {
    const budget = new MemoryBudget(15 * 1024 * 1024);
    const s = setup(budget);
    // 1024x1024 cursors are 4 MiB each: the fourth does not fit.
    const feedBig = (i: number) => s.feed(CursorMsg.SET, setBody({ cursor: big(1024, BigInt(i)) }));
    for (let i = 0; i < 3; i++) feedBig(i);
    expect(() => feedBig(3)).toThrow(MemoryLimitError);
    expect(budget.exceeded?.message).toMatch(/^the server asked for cursor 3 of 1024x1024 in the cursor cache \(4 MiB\), which would take this session to 16 MiB of its 15 MiB memory limit/);
    expect(budget.used).toBeLessThanOrEqual(15 * 1024 * 1024);
  });
});
