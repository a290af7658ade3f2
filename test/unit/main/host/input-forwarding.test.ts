// Input that arrives while the inputs channel is still linking (the desktop shows before it links)
// is held and sent once it links; stale, excess or orphaned input is not.
import { describe, expect, it } from 'vitest';
import { HELD_INPUT_LIMIT, HELD_INPUT_MAX_AGE_MS, forwardInput } from '../../../../src/main/host/input-forwarding.ts';
import { InputsChannel } from '../../../../src/protocol/channels/inputs/inputs-channel.ts';
import { Emitter } from '../../../../src/protocol/emitter.ts';
import { ChannelType } from '../../../../src/protocol/link/constants.ts';
import type { UiMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import type { Session } from '../../../../src/protocol/session/session.ts';
import { WireReader } from '../../../../src/protocol/wire/reader.ts';
import { memoryChannelHost } from '../../../helpers/channel-host.ts';
import { fakeLinkServer } from '../../../helpers/fake-link-server.ts';
import { parseClientMiniMessages } from '../../../helpers/server-messages.ts';
import type { MemoryTransport } from '../../../helpers/memory-transport.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';

// spice.proto's client inputs messages, written out here.
const KEY_DOWN = 101;
const KEY_UP = 102;
const MOUSE_POSITION = 112;
const MOUSE_PRESS = 113;

interface Rig {
  session: Session;
  events: Emitter<{ 'channel-linked': unknown; 'channel-error': { channel: { type: number; id: number }; error: Error } }>;
  ch: InputsChannel;
  t: MemoryTransport;
  clock: { ms: number };
  send(m: UiMessage): void;
  /** Links the channel as the session does: connected, then 'channel-linked'. */
  link(): Promise<void>;
}

function rig(withInputs = true): Rig {
  const { transport } = fakeLinkServer();
  const ch = new InputsChannel(memoryChannelHost(transport, { processed: [] }), 0);
  const events = new Emitter<{ 'channel-linked': unknown; 'channel-error': { channel: { type: number; id: number }; error: Error } }>();
  const channels = new Map<string, unknown>(withInputs ? [[`${ChannelType.INPUTS}:0`, ch]] : []);
  const session = { channels, events } as unknown as Session;
  const clock = { ms: 1000 };
  return {
    session,
    events,
    ch,
    t: transport,
    clock,
    send: (m) => forwardInput(session, m, silentLogger, () => clock.ms),
    link: async () => {
      await ch.connect(7);
      transport.written.length = 0;
      events.emit('channel-linked', ch);
    },
  };
}

const sent = (t: MemoryTransport) =>
  parseClientMiniMessages(t.writtenBytes()).map((m) => {
    const r = new WireReader(m.body);
    if (m.type === KEY_DOWN) return { type: m.type, scancode: r.u32() };
    // A release is sent as the key's scancode with its break bit (0x80) set.
    if (m.type === KEY_UP) return { type: m.type, scancode: r.u32() & ~0x80 };
    if (m.type === MOUSE_POSITION) return { type: m.type, x: r.u32(), y: r.u32() };
    return { type: m.type };
  });

describe('input while the inputs channel links', () => {
  it('is held and sent in order once the channel links', async () => {
    const r = rig();
    r.send({ kind: 'mouse-position', x: 5, y: 6, buttons: 0, displayId: 0 });
    r.send({ kind: 'mouse-position', x: 100, y: 30, buttons: 0, displayId: 0 });
    r.send({ kind: 'mouse-press', button: 1, buttons: 1 });
    r.send({ kind: 'key-down', scancode: 0x1c });
    r.send({ kind: 'key-up', scancode: 0x1c });
    expect(r.t.written.length).toBe(0);
    await r.link();
    // The two positions in a row became the last one.
    expect(sent(r.t)).toEqual([{ type: MOUSE_POSITION, x: 100, y: 30 }, { type: MOUSE_PRESS }, { type: KEY_DOWN, scancode: 0x1c }, { type: KEY_UP, scancode: 0x1c }]);
    // Once linked, input goes straight out.
    r.t.written.length = 0;
    r.send({ kind: 'key-down', scancode: 0x1e });
    expect(sent(r.t)).toEqual([{ type: KEY_DOWN, scancode: 0x1e }]);
  });

  it('drops presses older than the link took, but still sends their releases and where the pointer is', async () => {
    const r = rig();
    r.send({ kind: 'mouse-position', x: 40, y: 50, buttons: 0, displayId: 0 });
    r.send({ kind: 'key-down', scancode: 0x10 });
    r.clock.ms += HELD_INPUT_MAX_AGE_MS + 1;
    r.send({ kind: 'key-up', scancode: 0x10 });
    r.send({ kind: 'key-down', scancode: 0x11 });
    await r.link();
    expect(sent(r.t)).toEqual([{ type: MOUSE_POSITION, x: 40, y: 50 }, { type: KEY_UP, scancode: 0x10 }, { type: KEY_DOWN, scancode: 0x11 }]);
  });

  it('holds at most the limit of presses, and releases past it so that no key stays down', async () => {
    const r = rig();
    for (let i = 0; i < HELD_INPUT_LIMIT + 10; i++) r.send({ kind: 'key-down', scancode: 0x20 });
    r.send({ kind: 'key-up', scancode: 0x20 });
    await r.link();
    const out = sent(r.t);
    expect(out.filter((m) => m.type === KEY_DOWN)).toHaveLength(HELD_INPUT_LIMIT);
    expect(out.at(-1)).toEqual({ type: KEY_UP, scancode: 0x20 });
  });

  it('drops what it held when the channel fails to link', async () => {
    const r = rig();
    r.send({ kind: 'key-down', scancode: 0x1c });
    r.events.emit('channel-error', { channel: { type: ChannelType.INPUTS, id: 0 }, error: new Error('refused') });
    await r.ch.connect(7);
    r.t.written.length = 0;
    r.events.emit('channel-linked', r.ch);
    expect(sent(r.t)).toEqual([]);
  });

  it('drops input when the server has no inputs channel', () => {
    const r = rig(false);
    r.send({ kind: 'key-down', scancode: 0x1c });
    expect(r.t.written.length).toBe(0);
  });
});
