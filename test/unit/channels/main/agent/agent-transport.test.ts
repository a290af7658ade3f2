import { describe, expect, it } from 'vitest';
import { AgentTransport, type IncomingAgentMessage } from '../../../../../src/protocol/channels/main/agent/agent-transport.ts';
import { WireWriter } from '../../../../../src/protocol/wire/writer.ts';

/** A VDAgentMessage written out by hand: protocol, type, opaque, size, body. */
function agentMessage(type: number, body: Uint8Array, opts: { protocol?: number; size?: number } = {}): Uint8Array {
  return new WireWriter().u32(opts.protocol ?? 1).u32(type).u64(0n).u32(opts.size ?? body.byteLength).bytes(body).finish();
}

function harness(maxMessageSize = 1 << 20) {
  const chunks: Uint8Array[] = [];
  const delivered: IncomingAgentMessage[] = [];
  const errors: string[] = [];
  const t = new AgentTransport({ sendChunk: (c) => chunks.push(c), deliver: (m) => delivered.push(m), malformed: (r) => errors.push(r), maxMessageSize });
  return { t, chunks, delivered, errors };
}

const filled = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('agent transport, sending', () => {
  it('slices a message into chunks of at most 2048 bytes, the header in the first', async () => {
    const { t, chunks } = harness();
    t.setTokens(100);
    const body = filled(5000);
    await t.send(4, body);
    expect(chunks.map((c) => c.byteLength)).toEqual([2048, 2048, 924]);
    const joined = Buffer.concat(chunks);
    expect(joined.readUInt32LE(0)).toBe(1);
    expect(joined.readUInt32LE(4)).toBe(4);
    expect(joined.readUInt32LE(16)).toBe(5000);
    expect(Buffer.compare(joined.subarray(20), Buffer.from(body))).toBe(0);
  });

  it('starts every message in a fresh chunk', async () => {
    const { t, chunks } = harness();
    t.setTokens(100);
    await Promise.all([t.send(14, filled(4)), t.send(14, filled(4))]);
    expect(chunks.map((c) => c.byteLength)).toEqual([24, 24]);
  });

  it('spends one token per chunk and queues while there are none; AGENT_TOKEN releases the queue', async () => {
    const { t, chunks } = harness();
    t.setTokens(2);
    let sent = false;
    const p = t.send(4, filled(5000)).then(() => (sent = true));
    expect(chunks).toHaveLength(2);
    expect(t.availableTokens).toBe(0);
    expect(t.queuedChunks).toBe(1);
    await Promise.resolve();
    expect(sent).toBe(false);
    t.addTokens(5);
    await p;
    expect(chunks).toHaveLength(3);
    expect(t.availableTokens).toBe(4);
  });

  it('when the agent leaves, drops unsent messages but finishes the one the server has started', async () => {
    const { t, chunks } = harness();
    t.setTokens(1);
    const started = t.send(4, filled(3000));
    const waiting = t.send(14, filled(4));
    t.dropUnsent('the agent left');
    await expect(waiting).rejects.toThrow(/MAX_CLIPBOARD was not sent: the agent left/);
    t.setTokens(10);
    await started;
    expect(chunks.map((c) => c.byteLength)).toEqual([2048, 972]);
  });
});

describe('agent transport, receiving', () => {
  it('reassembles a message spread over many AGENT_DATA, including a split header', () => {
    const { t, delivered, errors } = harness();
    const whole = agentMessage(4, filled(3000, 7));
    for (const cut of [[0, 7], [7, 20], [20, 1000], [1000, 2900], [2900, whole.byteLength]]) t.receive(whole.subarray(cut[0], cut[1]));
    expect(errors).toEqual([]);
    expect(delivered).toHaveLength(1);
    expect(delivered[0].header.type).toBe(4);
    expect(Buffer.compare(Buffer.from(delivered[0].body), Buffer.from(filled(3000, 7)))).toBe(0);
  });

  it('delivers an empty message', () => {
    const { t, delivered } = harness();
    t.receive(agentMessage(13, new Uint8Array(0)));
    expect(delivered.map((m) => [m.header.type, m.body.byteLength])).toEqual([[13, 0]]);
  });

  it('rejects a chunk running past the declared size, keeps the whole message, and goes on', () => {
    const { t, delivered, errors } = harness();
    const first = agentMessage(3, filled(8));
    t.receive(new Uint8Array([...first, 0xde, 0xad, 0xbe, 0xef]));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/runs 4 bytes past the end/);
    t.receive(agentMessage(3, filled(8, 1)));
    expect(delivered).toHaveLength(2);
  });

  it('rejects a wrong protocol number and resynchronises at the next AGENT_DATA', () => {
    const { t, delivered, errors } = harness();
    t.receive(agentMessage(3, filled(8), { protocol: 2 }));
    expect(errors[0]).toMatch(/protocol 2 instead of 1/);
    t.receive(agentMessage(3, filled(8)));
    expect(delivered).toHaveLength(1);
  });

  it('refuses a message claiming 4 GB without allocating it, and skips exactly its bytes', () => {
    const { t, delivered, errors } = harness(1000);
    t.receive(agentMessage(4, new Uint8Array(0), { size: 0xffffffff }));
    expect(errors[0]).toMatch(/of 4294967295 bytes, more than the 1000 accepted/);
    const { t: t2, delivered: d2, errors: e2 } = harness(1000);
    t2.receive(agentMessage(4, filled(600), { size: 1500 }));
    t2.receive(filled(900));
    t2.receive(agentMessage(3, filled(8)));
    expect(e2).toHaveLength(1);
    expect(d2.map((m) => m.header.type)).toEqual([3]);
    expect(delivered).toEqual([]);
  });
});
