import { describe, expect, it } from 'vitest';
import { MainChannel } from '../../../src/protocol/channels/main/main-channel.ts';
import { MainMsg, MainMsgc } from '../../../src/protocol/channels/main/main-messages.ts';
import type { Logger } from '../../../src/protocol/logger.ts';
import { ProtocolError } from '../../../src/protocol/wire/errors.ts';
import { WireReader } from '../../../src/protocol/wire/reader.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { concat, type MemoryTransport } from '../../helpers/memory-transport.ts';
import { memoryChannelHost } from '../../helpers/channel-host.ts';
import { fakeLinkServer } from '../../helpers/fake-link-server.ts';
import { fullMessage, miniMessage, parseClientMiniMessages } from '../../helpers/server-messages.ts';
import { recordingLogger } from '../../helpers/logger.ts';
import { waitUntil } from '../../helpers/wait.ts';

async function linkedMain(opts: { commonCaps?: number[]; logger?: Logger } = {}): Promise<{ ch: MainChannel; t: MemoryTransport; processed: bigint[] }> {
  const { transport } = fakeLinkServer({ commonCaps: opts.commonCaps });
  const processed: bigint[] = [];
  const ch = new MainChannel(memoryChannelHost(transport, { logger: opts.logger, processed }));
  await ch.connect(0);
  transport.written.length = 0;
  return { ch, t: transport, processed };
}

/** The channel has processed (handled, and ACK-counted) `count` messages of the ones fed to it. */
const processedAll = (processed: bigint[], count: number): Promise<void> => waitUntil(`${count} message(s) processed`, () => processed.length >= count, 5000);

describe('channel base', () => {
  it('answers SET_ACK with ACK_SYNC and then ACKs every window messages', async () => {
    const { ch, t, processed } = await linkedMain();
    const run = ch.run();
    t.feed(miniMessage(3, new WireWriter().u32(77).u32(2).finish()));
    for (let i = 0; i < 4; i++) t.feed(miniMessage(106, new WireWriter().u32(i).finish()));
    await processedAll(processed, 5);
    const sent = parseClientMiniMessages(t.writtenBytes());
    expect(sent[0].type).toBe(1);
    expect(new WireReader(sent[0].body).u32()).toBe(77);
    // SET_ACK itself counts: 5 messages with window 2 -> ACKs after the 2nd and 4th.
    expect(sent.filter((m) => m.type === 2)).toHaveLength(2);
    ch.close();
    await run;
  });

  it("with an ackGate, holds the due ACKs, tells the gate of the first only, and sends them all in one write when it lets them go", async () => {
    const { ch, t, processed } = await linkedMain();
    const gated: (() => void)[] = [];
    ch.ackGate = (sendHeld) => gated.push(sendHeld);
    const run = ch.run();
    // Window 2: SET_ACK and 5 more messages -> 3 ACKs due.
    t.feed(miniMessage(3, new WireWriter().u32(77).u32(2).finish()));
    for (let i = 0; i < 5; i++) t.feed(miniMessage(106, new WireWriter().u32(i).finish()));
    await processedAll(processed, 6);
    expect(parseClientMiniMessages(t.writtenBytes()).filter((m) => m.type === 2)).toHaveLength(0);
    expect(gated).toHaveLength(1);
    const writes = t.written.length;
    gated[0]!();
    expect(t.written.length).toBe(writes + 1);
    expect(parseClientMiniMessages(t.written.at(-1)!)).toEqual([
      { type: 2, body: new Uint8Array(0) },
      { type: 2, body: new Uint8Array(0) },
      { type: 2, body: new Uint8Array(0) },
    ]);
    // Called again (nothing held): nothing sent. The next ACK due tells the gate again.
    gated[0]!();
    expect(t.written.length).toBe(writes + 1);
    t.feed(miniMessage(106, new WireWriter().u32(9).finish()));
    t.feed(miniMessage(106, new WireWriter().u32(10).finish()));
    await processedAll(processed, 8);
    expect(gated).toHaveLength(2);
    gated[1]!();
    expect(parseClientMiniMessages(t.written.at(-1)!)).toEqual([{ type: 2, body: new Uint8Array(0) }]);
    ch.close();
    await run;
  });

  it('with full headers, held ACKs leave with serials that follow the messages sent before them', async () => {
    const { ch, t, processed } = await linkedMain({ commonCaps: [0b0011] });
    const gated: (() => void)[] = [];
    ch.ackGate = (sendHeld) => gated.push(sendHeld);
    const run = ch.run();
    t.feed(fullMessage(1n, 3, new WireWriter().u32(5).u32(1).finish()));
    t.feed(fullMessage(2n, 106, new WireWriter().u32(0).finish()));
    await processedAll(processed, 2);
    gated[0]!();
    // ACK_SYNC went out first (serial 1), then the two held ACKs in one write (serials 2 and 3).
    const acks = t.written.at(-1)!;
    expect(acks.byteLength).toBe(2 * 18);
    const view = new DataView(acks.buffer, acks.byteOffset, acks.byteLength);
    expect([view.getBigUint64(0, true), view.getUint16(8, true), view.getUint32(10, true)]).toEqual([2n, 2, 0]);
    expect([view.getBigUint64(18, true), view.getUint16(26, true), view.getUint32(28, true)]).toEqual([3n, 2, 0]);
    ch.close();
    await run;
  });

  it('answers PING with PONG carrying id and timestamp but not the filler', async () => {
    const { ch, t, processed } = await linkedMain();
    const run = ch.run();
    t.feed(miniMessage(4, new WireWriter().u32(9).u64(123456789n).bytes(new Uint8Array(1000)).finish()));
    await processedAll(processed, 1);
    const [pong] = parseClientMiniMessages(t.writtenBytes());
    expect(pong.type).toBe(3);
    expect(pong.body.byteLength).toBe(12);
    const r = new WireReader(pong.body);
    expect([r.u32(), r.u64()]).toEqual([9, 123456789n]);
    ch.close();
    await run;
  });

  it('fails with a ProtocolError on a declared size beyond the limit', async () => {
    const { ch, t } = await linkedMain();
    const run = ch.run();
    t.feed(new WireWriter().u16(101).u32(0x7fffffff).finish());
    await expect(run).rejects.toBeInstanceOf(ProtocolError);
    await expect(run).rejects.toThrow(/declares 2147483647 bytes/);
  });

  it('logs NOTIFY and ignores unknown message types without failing', async () => {
    const lines: string[] = [];
    const { ch, t, processed } = await linkedMain({ logger: recordingLogger(lines) });
    const run = ch.run();
    const text = new TextEncoder().encode('hello there');
    t.feed(miniMessage(7, new WireWriter().u64(0).u32(1).u32(0).u32(0).u32(text.length).bytes(text).finish()));
    t.feed(miniMessage(250, new Uint8Array(3)));
    await processedAll(processed, 2);
    expect(lines.some((l) => l.startsWith('warn: server notice: hello there'))).toBe(true);
    expect(lines.some((l) => l.includes('unknown message 250'))).toBe(true);
    expect(processed).toEqual([1n, 2n]);
    ch.close();
    await run;
  });

  it('handles full headers with a sub-message list, sub-messages first', async () => {
    const { ch, t } = await linkedMain({ commonCaps: [0b0011] });
    const events: string[] = [];
    ch.events.on('name', (n) => events.push(`name:${n}`));
    ch.events.on('mouse-mode', (m) => events.push(`mouse:${m.current}`));
    const run = ch.run();
    const nameBody = new WireWriter().u32(3).bytes(new TextEncoder().encode('vm\0')).finish();
    // Body: the NAME message body, then a sub-list with one MOUSE_MODE sub-message.
    const sub = new WireWriter().u16(MainMsg.MOUSE_MODE).u32(4).u16(3).u16(2).finish();
    const subListOffset = nameBody.byteLength;
    const body = concat([nameBody, new WireWriter().u16(1).u32(subListOffset + 6).finish(), sub]);
    t.feed(fullMessage(1n, MainMsg.NAME, body, subListOffset));
    await waitUntil('the NAME message and its sub-message handled', () => events.length >= 2, 5000);
    expect(events).toEqual(['mouse:2', 'name:vm']);
    ch.close();
    await run;
  });

  it('sendFramed writes the header into the room left before the body: the same bytes as send, mini and full headers', async () => {
    for (const commonCaps of [undefined, [0b0011]]) {
      const { ch, t } = await linkedMain({ commonCaps });
      const body = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
      ch.send(MainMsgc.CLIENT_INFO, body);
      const room = ch.messageHeaderSize;
      expect(room).toBe(commonCaps ? 18 : 6);
      const framed = new Uint8Array(room + body.byteLength);
      framed.set(body, room);
      ch.sendFramed(MainMsgc.CLIENT_INFO, framed);
      expect(t.written).toHaveLength(2);
      // The second message is the first one's bytes but for the serial (full header: 1 more).
      const [a, b] = t.written.map((w) => w.slice());
      if (commonCaps) {
        expect(new DataView(b.buffer).getBigUint64(0, true)).toBe(new DataView(a.buffer).getBigUint64(0, true) + 1n);
        expect(b.subarray(8)).toEqual(a.subarray(8));
      } else {
        expect(b).toEqual(a);
      }
      // The header went into the room of the buffer itself (the memory transport keeps a copy).
      expect(framed).toEqual(b);
      expect(() => ch.sendFramed(101, new Uint8Array(room - 1))).toThrow(RangeError);
      ch.close();
    }
  });
});

describe('main channel', () => {
  it("makes the server's NAME printable: escape sequences and bidi overrides cannot reach a terminal or title", async () => {
    const { ch, t } = await linkedMain();
    const names: string[] = [];
    ch.events.on('name', (n) => names.push(n));
    const run = ch.run();
    const hostile = new TextEncoder().encode('vm\u001b[2J\u001b]0;owned\u0007\u202eexe.txt\u0085\0');
    t.feed(miniMessage(MainMsg.NAME, new WireWriter().u32(hostile.byteLength).bytes(hostile).finish()));
    await waitUntil('the NAME message handled', () => names.length === 1, 5000);
    expect(names[0]).toBe('vm\ufffd[2J\ufffd]0;owned\ufffd\ufffdexe.txt\ufffd');
    expect(ch.info.name).toBe(names[0]);
    ch.close();
    await run;
  });

  it('on INIT starts the agent when present and attaches channels; then takes the channel list', async () => {
    const { ch, t, processed } = await linkedMain();
    const run = ch.run();
    t.feed(miniMessage(MainMsg.INIT, new WireWriter().u32(0xabc).u32(1).u32(3).u32(1).u32(1).u32(10).u32(5000).u32(0).finish()));
    t.feed(miniMessage(MainMsg.CHANNELS_LIST, new WireWriter().u32(3).u8(2).u8(0).u8(3).u8(0).u8(9).u8(1).finish()));
    t.feed(miniMessage(MainMsg.UUID, new Uint8Array(16).map((_, i) => i)));
    await processedAll(processed, 3);
    expect(ch.info.sessionId).toBe(0xabc);
    expect(ch.info.agentConnected).toBe(true);
    expect(ch.info.channels).toEqual([
      { type: 2, id: 0 },
      { type: 3, id: 0 },
      { type: 9, id: 1 },
    ]);
    expect(ch.info.uuid).toBe('00010203-0405-0607-0809-0a0b0c0d0e0f');
    const sent = parseClientMiniMessages(t.writtenBytes()).map((m) => m.type);
    // With the agent: AGENT_START, our agent capabilities, and client mouse mode (offered, not current).
    expect(sent).toEqual([MainMsgc.AGENT_START, MainMsgc.AGENT_DATA, MainMsgc.MOUSE_MODE_REQUEST, MainMsgc.ATTACH_CHANNELS]);
    ch.close();
    await run;
  });

  it('rejects a truncated INIT and a lying channel count with ProtocolErrors naming the message', async () => {
    const { ch, t } = await linkedMain();
    const run = ch.run();
    t.feed(miniMessage(MainMsg.CHANNELS_LIST, new WireWriter().u32(1000).u8(2).u8(0).finish()));
    await expect(run).rejects.toThrow(/CHANNELS_LIST \(104\)/);
    const second = await linkedMain();
    const run2 = second.ch.run();
    second.t.feed(miniMessage(MainMsg.INIT, new Uint8Array(10)));
    await expect(run2).rejects.toThrow(/INIT \(103\).*offset 8/);
  });
});

describe('main channel message parsers against truncation', () => {
  const bodies: [number, Uint8Array][] = [
    [MainMsg.INIT, new WireWriter().u32(1).u32(1).u32(3).u32(1).u32(0).u32(10).u32(0).u32(0).finish()],
    [MainMsg.CHANNELS_LIST, new WireWriter().u32(2).u8(2).u8(0).u8(3).u8(0).finish()],
    [MainMsg.MOUSE_MODE, new WireWriter().u16(3).u16(2).finish()],
    [MainMsg.MULTI_MEDIA_TIME, new WireWriter().u32(5).finish()],
    [MainMsg.AGENT_DISCONNECTED, new WireWriter().u32(1).finish()],
    [MainMsg.AGENT_TOKEN, new WireWriter().u32(5).finish()],
    [MainMsg.NAME, new WireWriter().u32(3).bytes(new Uint8Array([118, 109, 0])).finish()],
    [MainMsg.UUID, new Uint8Array(16)],
    [MainMsg.AGENT_CONNECTED_TOKENS, new WireWriter().u32(5).finish()],
  ];

  it.each(bodies.map(([type, body]) => [type, body] as const))('message %i: the full body parses, every shorter prefix is a ProtocolError', async (type, full) => {
    const ok = await linkedMain();
    const runOk = ok.ch.run();
    ok.t.feed(miniMessage(type, full));
    await processedAll(ok.processed, 1);
    expect(ok.ch.state).toBe('ready');
    ok.ch.close();
    await runOk;
    // NAME's text is cut at whatever is there; only its length field is required.
    const shortest = type === MainMsg.NAME ? 4 : full.byteLength;
    for (let n = 0; n < shortest; n++) {
      const bad = await linkedMain();
      const run = bad.ch.run();
      bad.t.feed(miniMessage(type, full.subarray(0, n)));
      await expect(run).rejects.toBeInstanceOf(ProtocolError);
    }
  });
});
