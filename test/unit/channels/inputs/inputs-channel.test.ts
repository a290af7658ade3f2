import { describe, expect, it } from 'vitest';
import { InputsChannel } from '../../../../src/protocol/channels/inputs/inputs-channel.ts';
import { ProtocolError } from '../../../../src/protocol/wire/errors.ts';
import { PAUSE_SCANCODE } from '../../../../src/protocol/input/scancodes.ts';
import { WireReader } from '../../../../src/protocol/wire/reader.ts';
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';
import type { MemoryTransport } from '../../../helpers/memory-transport.ts';
import { memoryChannelHost } from '../../../helpers/channel-host.ts';
import { fakeLinkServer } from '../../../helpers/fake-link-server.ts';
import { miniMessage, parseClientMiniMessages } from '../../../helpers/server-messages.ts';
import { waitUntil } from '../../../helpers/wait.ts';

// Message numbers and layouts as spice.proto gives them, written out here rather than imported.
const KEY_DOWN = 101;
const KEY_UP = 102;
const KEY_MODIFIERS = 103;
const MOUSE_MOTION = 111;
const MOUSE_POSITION = 112;
const MOUSE_PRESS = 113;
const MOUSE_RELEASE = 114;
const MSG_INIT = 101;
const MSG_KEY_MODIFIERS = 102;
const MSG_MOTION_ACK = 111;

/** The serials each channel's transport has seen processed, for waiting on a fed message. */
const processedOn = new WeakMap<MemoryTransport, bigint[]>();

async function linkedInputs(): Promise<{ ch: InputsChannel; t: MemoryTransport; run: Promise<void> }> {
  const { transport, received } = fakeLinkServer();
  const processed: bigint[] = [];
  processedOn.set(transport, processed);
  const ch = new InputsChannel(memoryChannelHost(transport, { processed }), 0);
  await ch.connect(7);
  // SpiceLinkMess: u32 connection_id, u8 channel_type, u8 channel_id.
  const link = received.linkMess!;
  const view = new DataView(link.buffer, link.byteOffset + 16);
  expect([view.getUint32(0, true), view.getUint8(4)]).toEqual([7, 3]);
  transport.written.length = 0;
  return { ch, t: transport, run: ch.run() };
}

type Sent = { type: number; body: Uint8Array };
const sent = (t: MemoryTransport): Sent[] => parseClientMiniMessages(t.writtenBytes());
const u32 = (m: Sent) => new WireReader(m.body).u32();
const motion = (m: Sent) => {
  const r = new WireReader(m.body);
  return { dx: r.i32(), dy: r.i32(), buttons: r.u16() };
};
const position = (m: Sent) => {
  const r = new WireReader(m.body);
  return { x: r.u32(), y: r.u32(), buttons: r.u16(), display: r.u8() };
};
const button = (m: Sent) => {
  const r = new WireReader(m.body);
  return { button: r.u8(), buttons: r.u16() };
};
/** Feeds the server's MOTION_ACK and waits until the channel has handled it. */
const ack = async (t: MemoryTransport) => {
  const processed = processedOn.get(t) ?? [];
  const want = processed.length + 1;
  t.feed(miniMessage(MSG_MOTION_ACK));
  await waitUntil('the MOTION_ACK handled', () => processed.length >= want, 5000);
};

describe('inputs channel: keys', () => {
  it('sends KEY_DOWN and KEY_UP with set-1 codes, E0 in the low byte', async () => {
    const { ch, t, run } = await linkedInputs();
    ch.keyPress(0x1e);
    ch.keyDown(0xe01d);
    ch.keyUp(0xe01d);
    const m = sent(t);
    expect(m.map((x) => x.type)).toEqual([KEY_DOWN, KEY_UP, KEY_DOWN, KEY_UP]);
    expect(m.map(u32)).toEqual([0x1e, 0x9e, 0x1de0, 0x9de0]);
    expect(m.every((x) => x.body.byteLength === 4)).toBe(true);
    ch.close();
    await run;
  });

  it('sends Pause as two codes each way', async () => {
    const { ch, t, run } = await linkedInputs();
    ch.keyPress(PAUSE_SCANCODE);
    const m = sent(t);
    expect(m.map((x) => x.type)).toEqual([KEY_DOWN, KEY_DOWN, KEY_UP, KEY_UP]);
    expect(m.map(u32)).toEqual([0x1de1, 0x45, 0x9de1, 0xc5]);
    ch.close();
    await run;
  });

  it('sets the lock keys with KEY_MODIFIERS', async () => {
    const { ch, t, run } = await linkedInputs();
    ch.setLockModifiers(4 | 2);
    const [m] = sent(t);
    expect(m.type).toBe(KEY_MODIFIERS);
    expect(m.body.byteLength).toBe(2);
    expect(new WireReader(m.body).u16()).toBe(6);
    ch.close();
    await run;
  });

  it('reports the guest lock keys from INIT and KEY_MODIFIERS', async () => {
    const { ch, t, run } = await linkedInputs();
    const seen: { modifiers: number; initial: boolean }[] = [];
    ch.events.on('modifiers', (e) => seen.push(e));
    expect(ch.modifiers).toBeNull();
    t.feed(miniMessage(MSG_INIT, new WireWriter().u16(2).finish()));
    t.feed(miniMessage(MSG_KEY_MODIFIERS, new WireWriter().u16(4).finish()));
    await waitUntil('INIT and KEY_MODIFIERS handled', () => seen.length >= 2, 5000);
    expect(seen).toEqual([{ modifiers: 2, initial: true }, { modifiers: 4, initial: false }]);
    expect(ch.modifiers).toBe(4);
    ch.close();
    await run;
  });

  it('fails on a truncated KEY_MODIFIERS', async () => {
    const { t, run } = await linkedInputs();
    t.feed(miniMessage(MSG_KEY_MODIFIERS, new Uint8Array(1)));
    await expect(run).rejects.toBeInstanceOf(ProtocolError);
  });

  it('releases what is still held', async () => {
    const { ch, t, run } = await linkedInputs();
    ch.keyDown(0x1d);
    ch.keyDown(0x2a);
    ch.mousePress(1, 1);
    ch.mousePress(3, 5);
    t.written.length = 0;
    ch.releaseAll();
    const m = sent(t);
    expect(m.map((x) => x.type)).toEqual([KEY_UP, KEY_UP, MOUSE_RELEASE, MOUSE_RELEASE]);
    expect(m.slice(0, 2).map(u32)).toEqual([0xaa, 0x9d]);
    expect(m.slice(2).map(button)).toEqual([{ button: 1, buttons: 4 }, { button: 3, buttons: 0 }]);
    expect(ch.pressedKeys).toEqual([]);
    ch.close();
    await run;
  });
});

describe('inputs channel: mouse and motion acks', () => {
  it('encodes motion, position, press and release', async () => {
    const { ch, t, run } = await linkedInputs();
    ch.mouseMotion(-5, 7, 1);
    ch.mousePosition(200, 150, 0, 1);
    ch.mousePress(1, 1);
    ch.mouseRelease(1, 0);
    const m = sent(t);
    expect(m.map((x) => x.type)).toEqual([MOUSE_MOTION, MOUSE_POSITION, MOUSE_PRESS, MOUSE_RELEASE]);
    expect(m.map((x) => x.body.byteLength)).toEqual([10, 11, 3, 3]);
    expect(motion(m[0])).toEqual({ dx: -5, dy: 7, buttons: 1 });
    expect(position(m[1])).toEqual({ x: 200, y: 150, buttons: 0, display: 1 });
    expect(button(m[2])).toEqual({ button: 1, buttons: 1 });
    expect(button(m[3])).toEqual({ button: 1, buttons: 0 });
    ch.close();
    await run;
  });

  it('sends 8 motions, then sums the rest until an ack, then sends the sum', async () => {
    const { ch, t, run } = await linkedInputs();
    for (let i = 0; i < 8; i++) ch.mouseMotion(1, 2, 0);
    expect(sent(t)).toHaveLength(8);
    ch.mouseMotion(10, 0, 0);
    ch.mouseMotion(5, -3, 1);
    ch.mouseMotion(1, 1, 1);
    expect(sent(t)).toHaveLength(8);
    expect(ch.unackedMotion).toBe(8);
    await ack(t);
    const m = sent(t);
    expect(m).toHaveLength(9);
    expect(motion(m[8])).toEqual({ dx: 16, dy: -2, buttons: 1 });
    expect(ch.unackedMotion).toBe(5);
    // Room again: the next motion goes out at once.
    ch.mouseMotion(1, 0, 0);
    expect(sent(t)).toHaveLength(10);
    ch.close();
    await run;
  });

  it('keeps only the latest position while 8 are unacknowledged', async () => {
    const { ch, t, run } = await linkedInputs();
    for (let i = 0; i < 8; i++) ch.mousePosition(i, i, 0, 0);
    for (let i = 100; i < 110; i++) ch.mousePosition(i, i + 1, 0, 0);
    expect(sent(t)).toHaveLength(8);
    await ack(t);
    const m = sent(t);
    expect(m).toHaveLength(9);
    expect(position(m[8])).toEqual({ x: 109, y: 110, buttons: 0, display: 0 });
    ch.close();
    await run;
  });

  it('never has more than 8 motion messages unacknowledged, whatever the pace', async () => {
    const { ch, t, run } = await linkedInputs();
    let acked = 0;
    const check = () => {
      const motions = sent(t).filter((m) => m.type === MOUSE_MOTION).length;
      expect(motions - acked * 4).toBeLessThanOrEqual(8);
    };
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 7; i++) {
        ch.mouseMotion(1, 1, 0);
        check();
      }
      // The server acks one per 4 it has received.
      const motions = sent(t).filter((m) => m.type === MOUSE_MOTION).length;
      while ((acked + 1) * 4 <= motions) {
        acked++;
        await ack(t);
        check();
      }
    }
    // Nothing is lost: the sum of all motion sent equals what was asked for.
    await ch.whenSent();
    const total = sent(t).filter((m) => m.type === MOUSE_MOTION).reduce((s, m) => s + motion(m).dx, 0);
    expect(total).toBe(140);
    ch.close();
    await run;
  });

  it('keeps clicks and keys after held-back motion in order', async () => {
    const { ch, t, run } = await linkedInputs();
    for (let i = 0; i < 8; i++) ch.mousePosition(i, 0, 0, 0);
    ch.mousePosition(50, 60, 0, 0);
    ch.mousePress(1, 1);
    ch.mouseRelease(1, 0);
    ch.keyPress(0x1c);
    expect(ch.holding).toBe(true);
    let drained = false;
    void ch.whenSent().then(() => (drained = true));
    expect(sent(t)).toHaveLength(8);
    await ack(t);
    const after = sent(t).slice(8);
    expect(after.map((m) => m.type)).toEqual([MOUSE_POSITION, MOUSE_PRESS, MOUSE_RELEASE, KEY_DOWN, KEY_UP]);
    expect(position(after[0])).toMatchObject({ x: 50, y: 60 });
    expect(drained).toBe(true);
    ch.close();
    await run;
  });

  it('does not count an ack below zero and ignores zero motion', async () => {
    const { ch, t, run } = await linkedInputs();
    await ack(t);
    expect(ch.unackedMotion).toBe(0);
    ch.mouseMotion(0, 0, 0);
    expect(sent(t)).toHaveLength(0);
    ch.close();
    await run;
  });

  it('refuses out-of-range arguments', async () => {
    const { ch, run } = await linkedInputs();
    expect(() => ch.mousePosition(-1, 0, 0, 0)).toThrow(RangeError);
    expect(() => ch.mousePosition(0, 0, 0, 256)).toThrow(RangeError);
    expect(() => ch.mouseMotion(0.5, 0, 0)).toThrow(RangeError);
    expect(() => ch.mousePress(0, 0)).toThrow(RangeError);
    expect(() => ch.keyDown(0)).toThrow(RangeError);
    ch.close();
    await run;
  });
});
