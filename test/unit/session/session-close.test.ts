// How a session ends its connections: the client closes the display, cursor and char-device
// channels (here a port) and the main channel right behind them; inputs, playback and record only
// once the server has ended them (or a second after main). Xspice
// crashes when a client ends one of those itself at the wrong moment (docs/testing.md, "Xspice can
// crash under a client"); these tests fail on the order that did.
import { describe, expect, it } from 'vitest';
import { DisplayMsg } from '../../../src/protocol/channels/display/display-messages.ts';
import { ChannelType } from '../../../src/protocol/link/constants.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import { Session } from '../../../src/protocol/session/session.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { nodeTicketCrypto } from '../../../src/main/node/ticket-crypto.ts';
import { localImageDecoder } from '../../../src/protocol/display/run-decode-job.ts';
import { LocalDisplaySink } from '../../../src/protocol/display/local-display-sink.ts';
import { fakeLinkServer } from '../../helpers/fake-link-server.ts';
import type { MemoryTransport } from '../../helpers/memory-transport.ts';
import { channelsList, mainInit, miniMessage } from '../../helpers/server-messages.ts';
import { waitUntil } from '../../helpers/wait.ts';

const surfaceCreate = () => miniMessage(DisplayMsg.SURFACE_CREATE, new WireWriter().u32(0).u32(4).u32(4).u32(32).u32(1).finish());
/** The base channel's PING (id, timestamp): a channel that handles it answers PONG. */
const ping = () => miniMessage(4, new WireWriter().u32(7).u64(0n).finish());

/** A session linked to main, display, inputs, cursor and a port over in-memory connections; `closes` lists channel types in the order the client closed them. */
async function linkedSession() {
  const links: { type: number; t: MemoryTransport }[] = [];
  const closes: number[] = [];
  const session = new Session({
    connector: async ({ channelType }) => {
      const { transport } = fakeLinkServer({ channelCaps: channelType === ChannelType.DISPLAY ? [1 << 6] : [] });
      const close = transport.close.bind(transport);
      transport.close = () => {
        if (!transport.closed) closes.push(channelType);
        close();
      };
      links.push({ type: channelType, t: transport });
      return transport;
    },
    crypto: nodeTicketCrypto,
    logger: silentLogger,
    displaySink: new LocalDisplaySink({ logger: silentLogger, decoder: localImageDecoder() }),
    where: 'memory',
  });
  const transportOf = (type: number) => links.find((l) => l.type === type)!.t;
  const connecting = session.connect();
  await waitUntil('the main channel linking', () => links.some((l) => l.type === ChannelType.MAIN), 5000);
  await waitUntil('the main link sent', () => transportOf(ChannelType.MAIN).written.length > 1, 5000);
  transportOf(ChannelType.MAIN).feed(mainInit(0x1234, 1));
  transportOf(ChannelType.MAIN).feed(channelsList([[2, 0], [3, 0], [4, 0], [10, 0]]));
  await connecting;
  await waitUntil('display, inputs, cursor and port linked', () => ['2:0', '3:0', '4:0', '10:0'].every((k) => session.status.get(k)?.state === 'linked'), 5000);
  // The display channel's close waits for the server's first message: it has spoken.
  transportOf(ChannelType.DISPLAY).feed(surfaceCreate());
  return { session, closes, transportOf };
}

describe('how a session ends its connections', () => {
  it('closes display, cursor and the port, then main; inputs stays open until the server ends it, then is closed', async () => {
    const s = await linkedSession();
    let closed = false;
    const closing = s.session.close().then(() => (closed = true));
    await waitUntil('the main channel closed', () => s.closes.includes(ChannelType.MAIN), 5000);
    expect(s.closes.slice(0, 3).sort((a, b) => a - b)).toEqual([ChannelType.DISPLAY, ChannelType.CURSOR, ChannelType.PORT]);
    expect(s.closes[3]).toBe(ChannelType.MAIN);
    // The server has not ended inputs yet: the client leaves it open.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(s.transportOf(ChannelType.INPUTS).closed).toBe(false);
    expect(closed).toBe(false);
    // spice-server tears the client's other channels down once main has gone.
    s.transportOf(ChannelType.INPUTS).end();
    await closing;
    expect(s.transportOf(ChannelType.INPUTS).closed).toBe(true);
  });

  it('closes a channel the server does not end a second after main, at the latest', async () => {
    const s = await linkedSession();
    const closing = s.session.close();
    await waitUntil('the main channel closed', () => s.closes.includes(ChannelType.MAIN), 5000);
    const mainClosedAt = Date.now();
    await closing;
    expect(s.closes.at(-1)).toBe(ChannelType.INPUTS);
    expect(Date.now() - mainClosedAt).toBeGreaterThanOrEqual(900);
  });

  it('answers nothing on a channel left for the server to end', async () => {
    const s = await linkedSession();
    const inputs = s.transportOf(ChannelType.INPUTS);
    const closing = s.session.close();
    await waitUntil('the main channel closed', () => s.closes.includes(ChannelType.MAIN), 5000);
    expect(inputs.closed).toBe(false);
    const writtenBefore = inputs.writtenCount();
    inputs.feed(ping());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(inputs.writtenCount()).toBe(writtenBefore);
    inputs.end();
    await closing;
  });

  it('when the server ends the main channel, the others wait for its end too and no channel reports a lost connection', async () => {
    const s = await linkedSession();
    const closedEvent = new Promise<{ error?: Error }>((resolve) => s.session.events.on('closed', resolve));
    s.transportOf(ChannelType.MAIN).end();
    await closedEvent;
    await waitUntil('display, cursor and the port closed', () => [ChannelType.DISPLAY, ChannelType.CURSOR, ChannelType.PORT].every((t) => s.closes.includes(t)), 5000);
    expect(s.transportOf(ChannelType.INPUTS).closed).toBe(false);
    s.transportOf(ChannelType.INPUTS).end();
    await waitUntil('inputs closed', () => s.transportOf(ChannelType.INPUTS).closed, 5000);
    expect(s.session.status.get('3:0')?.state).not.toBe('failed');
  });
});
