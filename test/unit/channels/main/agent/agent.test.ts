// The agent inside a real MainChannel fed by a memory transport: what goes out on AGENT_DATA,
// how AGENT_TOKEN paces it, and that malformed agent data is logged while the channel goes on.
import { describe, expect, it } from 'vitest';
import type { ChannelHost, SpiceChannel } from '../../../../../src/protocol/channel/channel.ts';
import { AgentCap, AgentMsg, ClipboardType } from '../../../../../src/protocol/channels/main/agent/agent-messages.ts';
import { MainChannel } from '../../../../../src/protocol/channels/main/main-channel.ts';
import { MainMsg, MainMsgc, MouseMode } from '../../../../../src/protocol/channels/main/main-messages.ts';
import { CapSet } from '../../../../../src/protocol/link/caps.ts';
import { WireReader } from '../../../../../src/protocol/wire/reader.ts';
import { WireWriter } from '../../../../../src/protocol/wire/writer.ts';
import { nodeTicketCrypto } from '../../../../../src/main/node/ticket-crypto.ts';
import { fakeLinkServer } from '../../../../helpers/fake-link-server.ts';
import type { MemoryTransport } from '../../../../helpers/memory-transport.ts';
import { miniMessage, parseClientMiniMessages } from '../../../../helpers/server-messages.ts';
import { drainQueuedWork } from '../../../../helpers/wait.ts';
import { recordingLogger } from '../../../../helpers/logger.ts';

async function linkedMain(lines: string[]): Promise<{ ch: MainChannel; t: MemoryTransport; run: Promise<void> }> {
  const { transport } = fakeLinkServer();
  const host: ChannelHost = {
    logger: recordingLogger(lines),
    connector: async () => transport,
    crypto: nodeTicketCrypto,
    password: '',
    where: 'memory',
    waitForSerial: async () => {},
    processed: (_c: SpiceChannel, _s: bigint) => {},
  };
  const ch = new MainChannel(host);
  await ch.connect(0);
  transport.written.length = 0;
  return { ch, t: transport, run: ch.run() };
}

const init = (opts: { agent: boolean; tokens: number; supported?: number; current?: number }) =>
  miniMessage(MainMsg.INIT, new WireWriter().u32(1).u32(1).u32(opts.supported ?? 3).u32(opts.current ?? 1).u32(opts.agent ? 1 : 0).u32(opts.tokens).u32(0).u32(0).finish());

const agentData = (type: number, body: Uint8Array, size = body.byteLength) =>
  miniMessage(MainMsg.AGENT_DATA, new WireWriter().u32(1).u32(type).u64(0n).u32(size).bytes(body).finish());

const caps = (...c: number[]) => new WireWriter().u32(0).u32(CapSet.of(...c).words[0] ?? 0).finish();

/** The agent messages the client wrote, reassembled from AGENT_DATA chunks. */
function agentMessagesSent(t: MemoryTransport): { type: number; size: number }[] {
  const data = parseClientMiniMessages(t.writtenBytes()).filter((m) => m.type === MainMsgc.AGENT_DATA);
  const out: { type: number; size: number }[] = [];
  let left = 0;
  for (const chunk of data) {
    if (left > 0) {
      left -= chunk.body.byteLength;
      continue;
    }
    const r = new WireReader(chunk.body);
    r.u32();
    const type = r.u32();
    r.u64();
    const size = r.u32();
    out.push({ type, size });
    left = size - (chunk.body.byteLength - 20);
  }
  return out;
}

describe('agent on the main channel', () => {
  it('announces capabilities asking for the agent\'s, answers a request, and is ready with them', async () => {
    const lines: string[] = [];
    const { ch, t, run } = await linkedMain(lines);
    t.feed(init({ agent: true, tokens: 10 }));
    await drainQueuedWork();
    expect(agentMessagesSent(t)).toEqual([{ type: AgentMsg.ANNOUNCE_CAPABILITIES, size: 8 }]);
    const ready = ch.agent.whenReady();
    t.feed(agentData(AgentMsg.ANNOUNCE_CAPABILITIES, new WireWriter().u32(1).u32(CapSet.of(AgentCap.CLIPBOARD_BY_DEMAND, AgentCap.MAX_CLIPBOARD).words[0]).finish()));
    expect((await ready).has(AgentCap.MAX_CLIPBOARD)).toBe(true);
    await drainQueuedWork();
    // Our caps again (not asking), then the clipboard limit the agent can take.
    expect(agentMessagesSent(t).map((m) => m.type)).toEqual([AgentMsg.ANNOUNCE_CAPABILITIES, AgentMsg.ANNOUNCE_CAPABILITIES, AgentMsg.MAX_CLIPBOARD]);
    ch.close();
    await run;
  });

  it('holds chunks until AGENT_TOKEN grants credit', async () => {
    const { ch, t, run } = await linkedMain([]);
    t.feed(init({ agent: true, tokens: 1 }));
    t.feed(agentData(AgentMsg.ANNOUNCE_CAPABILITIES, caps(AgentCap.CLIPBOARD_BY_DEMAND)));
    await drainQueuedWork();
    const grab = ch.agent.clipboard.setText('x');
    await drainQueuedWork();
    expect(agentMessagesSent(t).map((m) => m.type)).toEqual([AgentMsg.ANNOUNCE_CAPABILITIES]);
    t.feed(miniMessage(MainMsg.AGENT_TOKEN, new WireWriter().u32(5).finish()));
    await grab;
    expect(agentMessagesSent(t).map((m) => m.type)).toEqual([AgentMsg.ANNOUNCE_CAPABILITIES, AgentMsg.CLIPBOARD_GRAB]);
    ch.close();
    await run;
  });

  it('logs malformed agent data as errors and goes on: wrong sizes, unknown types, overruns, 4 GB claims', async () => {
    const lines: string[] = [];
    const { ch, t, run } = await linkedMain(lines);
    const names: string[] = [];
    ch.events.on('name', (n) => names.push(n));
    t.feed(init({ agent: true, tokens: 10 }));
    t.feed(agentData(AgentMsg.ANNOUNCE_CAPABILITIES, caps(AgentCap.CLIPBOARD_BY_DEMAND)));
    t.feed(agentData(AgentMsg.CLIPBOARD_GRAB, new Uint8Array(3))); // types not a multiple of 4
    t.feed(agentData(AgentMsg.REPLY, new Uint8Array(2))); // too short
    t.feed(agentData(99, new Uint8Array(4))); // unknown type
    t.feed(miniMessage(MainMsg.AGENT_DATA, new Uint8Array([...new WireWriter().u32(1).u32(3).u64(0n).u32(8).finish(), ...new Uint8Array(12)]))); // runs past
    t.feed(agentData(AgentMsg.CLIPBOARD, new Uint8Array(0), 0xffffffff)); // claims 4 GB
    t.feed(miniMessage(MainMsg.NAME, new WireWriter().u32(3).bytes(new TextEncoder().encode('vm\0')).finish()));
    await drainQueuedWork();
    const errors = lines.filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatch(/CLIPBOARD_GRAB was rejected/);
    expect(errors[1]).toMatch(/REPLY was rejected/);
    expect(errors[2]).toMatch(/unknown agent message type 99/);
    expect(errors[3]).toMatch(/runs 4 bytes past the end/);
    expect(errors[4]).toMatch(/4294967295 bytes/);
    expect(ch.agent.malformedCount).toBe(5);
    expect(names).toEqual(['vm']);
    expect(ch.state).toBe('ready');
    ch.close();
    await run;
  });

  it('asks for client mouse mode once the agent makes it possible, and server mode when it is gone', async () => {
    const { ch, t, run } = await linkedMain([]);
    t.feed(init({ agent: false, tokens: 10, supported: MouseMode.SERVER, current: MouseMode.SERVER }));
    t.feed(miniMessage(MainMsg.AGENT_CONNECTED_TOKENS, new WireWriter().u32(10).finish()));
    t.feed(miniMessage(MainMsg.MOUSE_MODE, new WireWriter().u16(3).u16(MouseMode.SERVER).finish()));
    t.feed(miniMessage(MainMsg.MOUSE_MODE, new WireWriter().u16(3).u16(MouseMode.CLIENT).finish()));
    await drainQueuedWork();
    const requests = () => parseClientMiniMessages(t.writtenBytes()).filter((m) => m.type === MainMsgc.MOUSE_MODE_REQUEST).map((m) => m.body[0]);
    expect(requests()).toEqual([MouseMode.CLIENT]);
    // The agent leaves; the server still reports client mode but no longer offers it.
    t.feed(miniMessage(MainMsg.AGENT_DISCONNECTED, new WireWriter().u32(0).finish()));
    t.feed(miniMessage(MainMsg.MOUSE_MODE, new WireWriter().u16(MouseMode.SERVER).u16(MouseMode.CLIENT).finish()));
    await drainQueuedWork();
    expect(requests()).toEqual([MouseMode.CLIENT, MouseMode.SERVER]);
    ch.close();
    await run;
  });

  it('without a preference asks for no mouse mode while no agent is attached (a tablet-only server keeps sending cursor moves)', async () => {
    const { ch, t, run } = await linkedMain([]);
    t.feed(init({ agent: false, tokens: 10, supported: 3, current: MouseMode.SERVER }));
    t.feed(miniMessage(MainMsg.MOUSE_MODE, new WireWriter().u16(3).u16(MouseMode.SERVER).finish()));
    await drainQueuedWork();
    expect(parseClientMiniMessages(t.writtenBytes()).filter((m) => m.type === MainMsgc.MOUSE_MODE_REQUEST)).toEqual([]);
    ch.close();
    await run;
  });

  it('keeps server mouse mode once preferred: the agent attaching does not bring client mode back', async () => {
    const { ch, t, run } = await linkedMain([]);
    const requests = () => parseClientMiniMessages(t.writtenBytes()).filter((m) => m.type === MainMsgc.MOUSE_MODE_REQUEST).map((m) => m.body[0]);
    // Xspice offers client mode from the start and takes it; the user asked for server mode.
    t.feed(init({ agent: false, tokens: 10, supported: 3, current: MouseMode.CLIENT }));
    await drainQueuedWork();
    ch.preferMouseMode(MouseMode.SERVER);
    t.feed(miniMessage(MainMsg.MOUSE_MODE, new WireWriter().u16(3).u16(MouseMode.SERVER).finish()));
    await drainQueuedWork();
    expect(requests()).toEqual([MouseMode.SERVER]);
    // The agent attaches afterwards and the server announces the modes again.
    t.feed(miniMessage(MainMsg.AGENT_CONNECTED_TOKENS, new WireWriter().u32(10).finish()));
    t.feed(miniMessage(MainMsg.MOUSE_MODE, new WireWriter().u16(3).u16(MouseMode.SERVER).finish()));
    await drainQueuedWork();
    expect(requests()).toEqual([MouseMode.SERVER]);
    // Preferring client again asks for it at once.
    ch.preferMouseMode(MouseMode.CLIENT);
    await drainQueuedWork();
    expect(requests()).toEqual([MouseMode.SERVER, MouseMode.CLIENT]);
    ch.close();
    await run;
  });

  it('fails pending clipboard requests and file transfers with a clear message when the agent leaves', async () => {
    const { ch, t, run } = await linkedMain([]);
    t.feed(init({ agent: true, tokens: 10 }));
    t.feed(agentData(AgentMsg.ANNOUNCE_CAPABILITIES, caps(AgentCap.CLIPBOARD_BY_DEMAND)));
    t.feed(agentData(AgentMsg.CLIPBOARD_GRAB, new WireWriter().u32(ClipboardType.UTF8_TEXT).finish()));
    await drainQueuedWork();
    const request = expect(ch.agent.clipboard.requestText()).rejects.toThrow(/guest agent disconnected/);
    const transfer = ch.agent.files.send({ name: 'f.txt', size: 3, read: async () => new Uint8Array(3) });
    await drainQueuedWork();
    t.feed(miniMessage(MainMsg.AGENT_DISCONNECTED, new WireWriter().u32(0).finish()));
    await request;
    expect((await transfer.done)?.message).toMatch(/^f\.txt: the guest agent disconnected/);
    expect(ch.agent.connected).toBe(false);
    ch.close();
    await run;
  });
});
