// A session and a server that asks for too much: surfaces past the memory budget end the session
// with the budget's sentence (a protocol error), and a CHANNELS_LIST of thousands of entries links
// only what a real server offers, with one warning.
import { describe, expect, it } from 'vitest';
import { DisplayMsg } from '../../../src/protocol/channels/display/display-messages.ts';
import { MainMsg } from '../../../src/protocol/channels/main/main-messages.ts';
import { LocalDisplaySink } from '../../../src/protocol/display/local-display-sink.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import { channelLimitFor } from '../../../src/protocol/session/channel-limits.ts';
import { Session } from '../../../src/protocol/session/session.ts';
import { MemoryBudget, MemoryLimitError } from '../../../src/protocol/wire/memory-budget.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { nodeTicketCrypto } from '../../../src/main/node/ticket-crypto.ts';
import { fakeLinkServer } from '../../helpers/fake-link-server.ts';
import type { MemoryTransport } from '../../helpers/memory-transport.ts';
import { channelsList, miniMessage } from '../../helpers/server-messages.ts';
import { waitUntil } from '../../helpers/wait.ts';
import { body, box } from '../channels/display/body-builder.ts';

const MiB = 1024 * 1024;

function setup(budget: MemoryBudget) {
  const links: { type: number; id: number; t: MemoryTransport; received: ReturnType<typeof fakeLinkServer>['received'] }[] = [];
  const warnings: string[] = [];
  const session = new Session({
    connector: async ({ channelType, channelId }) => {
      const { transport, received } = fakeLinkServer();
      links.push({ type: channelType, id: channelId, t: transport, received });
      return transport;
    },
    crypto: nodeTicketCrypto,
    logger: silentLogger,
    memoryBudget: budget,
    warn: (line) => warnings.push(line),
    displaySink: new LocalDisplaySink({ logger: silentLogger, budget }),
    where: 'memory',
  });
  const closed = new Promise<Error | undefined>((resolve) => session.events.on('closed', ({ error }) => resolve(error)));
  return { session, links, warnings, closed, transportOf: (type: number, id = 0) => links.find((l) => l.type === type && l.id === id)! };
}

const init = (displays: number) => miniMessage(MainMsg.INIT, new WireWriter().u32(0x77).u32(displays).u32(1).u32(1).u32(0).u32(10).u32(0).u32(0).finish());
const surfaceCreate = (id: number, w: number, h: number) => miniMessage(DisplayMsg.SURFACE_CREATE, new WireWriter().u32(id).u32(w).u32(h).u32(32).u32(id === 0 ? 1 : 0).finish());
const fillAll = (id: number, w: number, h: number) =>
  miniMessage(DisplayMsg.DRAW_FILL, body((x) => {
    x.base(id, box(0, 0, w, h));
    x.w.u8(1).u32(0x00ff00); // solid brush
    x.w.u16(1 << 3); // OP_PUT
    x.noMask();
  }));

async function started(budget: MemoryBudget, list: [number, number][]) {
  const s = setup(budget);
  const connecting = s.session.connect();
  await waitUntil('the main channel linking', () => s.links.some((l) => l.type === 1 && l.received.password !== undefined), 5000);
  s.transportOf(1).t.feed(init(1));
  s.transportOf(1).t.feed(channelsList(list));
  await connecting;
  return s;
}

describe('session memory budget', () => {
  it('surfaces past the budget end the session with a sentence naming the surface and the totals', async () => {
    const budget = new MemoryBudget(4 * MiB);
    const s = await started(budget, [[2, 0]]);
    await waitUntil('display 0 linked', () => s.session.status.get('2:0')?.state === 'linked', 5000);
    const d = s.transportOf(2).t;
    // 512x512 surfaces are 1 MiB each: the fourth takes the session past 4 MiB with the bytes in flight.
    for (let i = 0; i < 12; i++) {
      d.feed(surfaceCreate(i, 512, 512));
      d.feed(fillAll(i, 512, 512));
    }
    const error = await s.closed;
    expect(error).toBeInstanceOf(MemoryLimitError);
    expect(error!.message).toMatch(/^the server asked for surface [34] of 512x512 \(1 MiB\), which would take this session to (just over 4|[\d.]+) MiB of its 4 MiB memory limit \(held now: .*surfaces [34] MiB/);
    // Everything the session held was given back when it closed.
    await waitUntil('the budget emptied', () => budget.used === 0, 5000);
    expect(s.session.status.get('2:0')?.state).not.toBe('failed');
  });

  it('a CHANNELS_LIST of 2,560 entries links only what a real server offers, and says so once', async () => {
    const list: [number, number][] = [];
    for (let type = 1; type <= 10; type++) for (let id = 0; id < 256; id++) list.push([type, id]);
    const s = await started(new MemoryBudget(), list);
    const expected = [2, 3, 4, 5, 6, 8, 9, 10].reduce((n, type) => n + channelLimitFor(type), 0);
    expect(expected).toBeLessThan(100);
    // Every channel the session will ever link has asked to connect by now (linkChannels is synchronous).
    expect(s.links.filter((l) => l.type !== 1)).toHaveLength(expected);
    expect(s.links.filter((l) => l.type === 2)).toHaveLength(16);
    expect(s.links.filter((l) => l.type === 3)).toHaveLength(1);
    expect(s.links.filter((l) => l.type === 7)).toHaveLength(0); // tunnel: never
    expect(s.session.status.get('2:200')).toEqual({ state: 'not-linked', why: 'more than the 16 channel(s) of this type a server offers' });
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toMatch(/^memory listed more channels than a SPICE server offers; not linking 240 display channels \(at most 16 linked\), 255 inputs channels \(at most 1 linked\)/);
    // A second list with more of them does not warn again nor link more.
    s.transportOf(1).t.feed(channelsList([[2, 255], [2, 254]]));
    await waitUntil('the second list read', () => s.session.status.has('2:254'), 5000);
    expect(s.warnings).toHaveLength(1);
    expect(s.links.filter((l) => l.type === 2)).toHaveLength(16);
    s.session.close();
  });
});
