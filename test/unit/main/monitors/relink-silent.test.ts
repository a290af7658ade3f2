// Linking a channel again for a joining view, when the server accepts the new link but never serves
// it: spice-server can do that while it still holds the old channel for the client (the heads
// flake: head 2's window stayed at "surface 0x0" because the relinked display channel got nothing).
// relinkChannel closes such a silent channel and links once more, and only a channel the server
// speaks on is handed to the session.
import { describe, expect, it } from 'vitest';
import { CursorChannel } from '../../../../src/protocol/channels/cursor/cursor-channel.ts';
import { CursorMsg } from '../../../../src/protocol/channels/cursor/cursor-messages.ts';
import { ChannelType } from '../../../../src/protocol/link/constants.ts';
import { silentLogger, type Logger } from '../../../../src/protocol/logger.ts';
import type { Session } from '../../../../src/protocol/session/session.ts';
import { relinkChannel } from '../../../../src/main/monitors/relink.ts';
import type { MemoryTransport } from '../../../helpers/memory-transport.ts';
import { memorySession } from '../../../helpers/memory-session.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';
import { waitUntil } from '../../../helpers/wait.ts';

/** A session with one cursor channel; every cursor link's connection is kept, in order. */
async function sessionWithCursor(): Promise<{ session: Session; cursorLinks: MemoryTransport[]; cursorTickets: { password?: string }[] }> {
  const { session, links, received } = await memorySession({ channels: [[ChannelType.CURSOR, 0]] });
  return { session, cursorLinks: links(ChannelType.CURSOR), cursorTickets: received(ChannelType.CURSOR) };
}

function recordingLogger(lines: string[]): Logger {
  const log: Logger = {
    ...silentLogger,
    warn: (_o: unknown, msg?: string) => void lines.push(String(msg)),
    info: (_o: unknown, msg?: string) => void lines.push(String(msg)),
    child: () => log,
  } as Logger;
  return log;
}

describe('relinkChannel', () => {
  it('closes a new channel the server accepted but says nothing on, links again, and hands on the one it serves', async () => {
    const { session, cursorLinks } = await sessionWithCursor();
    const lines: string[] = [];
    const relinking = relinkChannel(session, ChannelType.CURSOR, 0, recordingLogger(lines), 200);
    // Link 2 is accepted (link reply and result) and then left silent; link 3 is served at once.
    await waitUntil('a third cursor link', () => cursorLinks.length >= 3, 5000);
    cursorLinks[2].feed(miniMessage(CursorMsg.RESET));
    const channel = await relinking;
    expect(channel).toBeInstanceOf(CursorChannel);
    expect(session.channels.get('4:0')).toBe(channel);
    expect(cursorLinks.map((t) => t.closed)).toEqual([true, true, false]);
    expect(lines.filter((l) => l.includes('sent nothing on the new cursor channel within 200 ms'))).toHaveLength(1);
    expect(lines).toContain('channel linked again');
    await session.close();
  });

  it('links again when the server answers the new link and then closes it without a byte (it still held the old one)', async () => {
    const { session, cursorLinks, cursorTickets } = await sessionWithCursor();
    const lines: string[] = [];
    const relinking = relinkChannel(session, ChannelType.CURSOR, 0, recordingLogger(lines), 5000);
    // Link 2 is accepted (its ticket taken, the link result sent) and then closed by the server; link 3 is served.
    await waitUntil('a second cursor link accepted', () => cursorTickets[1]?.password !== undefined, 5000);
    cursorLinks[1].end();
    await waitUntil('a third cursor link', () => cursorLinks.length >= 3, 5000);
    cursorLinks[2].feed(miniMessage(CursorMsg.RESET));
    const channel = await relinking;
    expect(channel).toBeInstanceOf(CursorChannel);
    expect(session.channels.get('4:0')).toBe(channel);
    expect(channel!.state).not.toBe('closed');
    // Not taken for a channel the server spoke on, and not counted as a silent one.
    expect(lines.filter((l) => l.includes('sent nothing'))).toEqual([]);
    expect(lines).toContain('channel linked again');
    await session.close();
  });

  it('gives up after three silent links, saying why, and the session goes on', async () => {
    const { session, cursorLinks } = await sessionWithCursor();
    const lines: string[] = [];
    const channel = await relinkChannel(session, ChannelType.CURSOR, 0, recordingLogger(lines), 100);
    expect(channel).toBeNull();
    expect(cursorLinks).toHaveLength(4);
    expect(cursorLinks.every((t) => t.closed)).toBe(true);
    expect(session.status.get('4:0')?.state).toBe('failed');
    expect(lines.at(-1)).toBe('the channel could not be linked again; the views go without it');
    expect(session.main.state).toBe('ready');
    await session.close();
  });
});
