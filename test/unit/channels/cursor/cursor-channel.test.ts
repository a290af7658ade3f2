// The cursor channel inside a session over in-memory connections: the session links a
// CursorChannel for channel type 4, its events follow the messages, and a malformed message is
// reported and skipped while the channel goes on.
import { describe, expect, it } from 'vitest';
import { CursorChannel } from '../../../../src/protocol/channels/cursor/cursor-channel.ts';
import type { CursorImage } from '../../../../src/protocol/channels/cursor/cursor-decode.ts';
import { CursorMsg, CursorType } from '../../../../src/protocol/channels/cursor/cursor-messages.ts';
import { memorySession } from '../../../helpers/memory-session.ts';
import { waitUntil } from '../../../helpers/wait.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';
import { bytes, initBody, moveBody, setBody, words } from './cursor-bodies.ts';

async function linkedCursor() {
  const { session, links } = await memorySession({ channels: [[4, 0]] });
  const channel = session.channels.get('4:0');
  if (!(channel instanceof CursorChannel)) throw new Error('the session did not link a CursorChannel for channel type 4');
  return { session, channel, server: links(4)[0] };
}

const color32 = (rgb: number) => ({ type: CursorType.COLOR32, width: 1, height: 1, hotX: 0, hotY: 0, data: bytes(words(rgb), [0]) });

describe('CursorChannel', () => {
  it('emits shape, move and visible as the messages arrive', async () => {
    const { session, channel, server } = await linkedCursor();
    const shapes: (CursorImage | null)[] = [];
    const moves: [number, number][] = [];
    const visibility: boolean[] = [];
    channel.events.on('shape', ({ image }) => shapes.push(image));
    channel.events.on('move', ({ x, y }) => moves.push([x, y]));
    channel.events.on('visible', (v) => visibility.push(v));
    server.feed(miniMessage(CursorMsg.INIT, initBody({ x: 5, y: 6, cursor: color32(0xabcdef) })));
    server.feed(miniMessage(CursorMsg.HIDE));
    server.feed(miniMessage(CursorMsg.MOVE, moveBody(7, 8)));
    await waitUntil('the second move', () => moves.length >= 2, 5000);
    expect(shapes).toHaveLength(1);
    expect(Array.from(shapes[0]!.rgba)).toEqual([0xab, 0xcd, 0xef, 255]);
    expect(moves).toEqual([[5, 6], [7, 8]]);
    expect(visibility).toEqual([true, false, true]);
    session.close();
  });

  it('skips a malformed message with an error and goes on with the next', async () => {
    const { session, channel, server } = await linkedCursor();
    const shapes: (CursorImage | null)[] = [];
    const errors: string[] = [];
    const raw: [number, bigint][] = [];
    channel.events.on('shape', ({ image }) => shapes.push(image));
    channel.events.on('message-error', ({ message }) => errors.push(message));
    channel.events.on('message', ({ type, serial }) => raw.push([type, serial]));
    server.feed(miniMessage(CursorMsg.INIT, initBody({ cursor: color32(0x010101) })));
    // A 64x64 ALPHA cursor with 4 bytes of data: the size lies.
    server.feed(miniMessage(CursorMsg.SET, setBody({ cursor: { type: CursorType.ALPHA, width: 64, height: 64, data: new Uint8Array(4) } })));
    server.feed(miniMessage(CursorMsg.MOVE, new Uint8Array(1))); // truncated
    server.feed(miniMessage(CursorMsg.SET, setBody({ cursor: color32(0x020202) })));
    await waitUntil('the last SET handled', () => shapes.length >= 2, 5000);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/cursor channel, message SET \(103\), offset 24/);
    expect(errors[1]).toMatch(/MOVE \(104\)/);
    expect(shapes.map((s) => s && s.rgba[0])).toEqual([1, 2]);
    expect(raw).toEqual([[CursorMsg.INIT, 1n], [CursorMsg.SET, 2n], [CursorMsg.MOVE, 3n], [CursorMsg.SET, 4n]]);
    expect(channel.state).toBe('ready');
    expect(session.status.get('4:0')).toEqual({ state: 'linked' });
    session.close();
  });
});
