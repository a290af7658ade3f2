// The session over in-memory connections: channels linked with the session id, a bad image
// spoiling only its own draw, WAIT_FOR_CHANNELS holding a channel back until another caught up,
// and CHANNELS_LIST arriving again with a new channel.
import { describe, expect, it } from 'vitest';
import type { DisplayChannel } from '../../../src/protocol/channels/display/display-channel.ts';
import { DisplayMsg } from '../../../src/protocol/channels/display/display-messages.ts';
import { MainMsg } from '../../../src/protocol/channels/main/main-messages.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import { Session } from '../../../src/protocol/session/session.ts';
import { WireReader } from '../../../src/protocol/wire/reader.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { SpiceError } from '../../../src/protocol/wire/errors.ts';
import { nodeTicketCrypto } from '../../../src/main/node/ticket-crypto.ts';
import { fakeLinkServer } from '../../helpers/fake-link-server.ts';
import type { MemoryTransport } from '../../helpers/memory-transport.ts';
import { channelsList, mainInit, miniMessage } from '../../helpers/server-messages.ts';
import { binaryImage, body, box } from '../channels/display/body-builder.ts';
import { localImageDecoder } from '../../../src/protocol/display/run-decode-job.ts';
import { LocalDisplaySink } from '../../../src/protocol/display/local-display-sink.ts';
import { waitFor, waitUntil, watchForNothing } from '../../helpers/wait.ts';

const linked = (s: ReturnType<typeof setup>, ...keys: string[]): Promise<void> =>
  waitUntil(`channels ${keys.join(', ')} linked`, () => keys.every((k) => s.session.status.get(k)?.state === 'linked'), 5000);
const firstPixel = async (display: DisplayChannel): Promise<number> => ((await display.snapshot())?.data[0] ?? 0) & 0xffffff;

function setup() {
  const links: { type: number; id: number; t: MemoryTransport; received: ReturnType<typeof fakeLinkServer>['received'] }[] = [];
  const session = new Session({
    connector: async ({ channelType, channelId }) => {
      const { transport, received } = fakeLinkServer({ channelCaps: channelType === 2 ? [1 << 6] : [] });
      links.push({ type: channelType, id: channelId, t: transport, received });
      return transport;
    },
    crypto: nodeTicketCrypto,
    logger: silentLogger,
    displaySink: new LocalDisplaySink({ logger: silentLogger, decoder: localImageDecoder() }),
    where: 'memory',
  });
  const transportOf = (type: number, id = 0) => links.find((l) => l.type === type && l.id === id)!;
  const connectionIdOf = (type: number, id = 0) => new WireReader(transportOf(type, id).received.linkMess!).at(16).u32();
  return { session, links, transportOf, connectionIdOf };
}

const surfaceCreate = (w: number, h: number) => miniMessage(DisplayMsg.SURFACE_CREATE, new WireWriter().u32(0).u32(w).u32(h).u32(32).u32(1).finish());
const fill = (color: number, b = box(0, 0, 4, 4)) =>
  miniMessage(DisplayMsg.DRAW_FILL, body((x) => {
    x.base(0, b);
    x.w.u8(1).u32(color); // solid brush
    x.w.u16(1 << 3); // OP_PUT
    x.noMask();
  }));
const quicCopy = () =>
  miniMessage(DisplayMsg.DRAW_COPY, body((x) => {
    x.base(0, box(0, 0, 2, 4));
    x.ptr(binaryImage(1, new Uint8Array([1, 2, 3, 4])));
    x.rect(box(0, 0, 2, 4));
    x.w.u16(1 << 3).u8(1);
    x.noMask();
  }));

async function started() {
  const s = setup();
  const connecting = s.session.connect();
  // The fake server has the ticket: the link result is on its way, so what is fed next follows it.
  await waitUntil('the main channel linking', () => s.links.some((l) => l.type === 1 && l.received.password !== undefined), 5000);
  s.transportOf(1).t.feed(mainInit(0x1234, 1));
  s.transportOf(1).t.feed(channelsList([[2, 0], [3, 0]]));
  await connecting;
  await linked(s, '2:0', '3:0');
  return s;
}

describe('session', () => {
  it('links the listed channels with the session id; display 0 right after INIT', async () => {
    const s = await started();
    expect(s.connectionIdOf(1)).toBe(0);
    expect(s.connectionIdOf(2)).toBe(0x1234);
    expect(s.connectionIdOf(3)).toBe(0x1234);
    expect(s.links.filter((l) => l.type === 2)).toHaveLength(1);
    expect(s.session.status.get('2:0')).toEqual({ state: 'linked' });
    expect(s.session.status.get('3:0')).toEqual({ state: 'linked' });
    s.session.close();
  });

  it('draws into the canvas; an undecodable image spoils only its own draw', async () => {
    const s = await started();
    const display = s.session.display(0) as DisplayChannel;
    const errors: string[] = [];
    display.events.on('message-error', ({ message }) => errors.push(message));
    const d = s.transportOf(2).t;
    d.feed(surfaceCreate(8, 4));
    d.feed(fill(0x00ff0000));
    d.feed(quicCopy());
    d.feed(fill(0x000000ff, box(0, 4, 4, 8)));
    d.feed(miniMessage(DisplayMsg.MARK));
    await waitUntil('MARK', () => display.marked, 5000);
    const px = (await display.snapshot())!.data;
    expect(px[0] & 0xffffff).toBe(0xff0000); // the fill before survived the failed copy
    expect(px[7] & 0xffffff).toBe(0x0000ff); // and the fill after was applied
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/malformed data from the server: QUIC/);
    expect(display.marked).toBe(true);
    expect(display.state).toBe('ready');
    s.session.close();
  });

  it('a malformed display message is skipped with an error; the channel goes on', async () => {
    const s = await started();
    const display = s.session.display(0) as DisplayChannel;
    const errors: string[] = [];
    display.events.on('message-error', ({ message }) => errors.push(message));
    const d = s.transportOf(2).t;
    d.feed(surfaceCreate(4, 4));
    const bad = fill(0x00112233);
    d.feed(bad.subarray(0, bad.byteLength - 3).map((b, i) => (i === 2 ? b - 3 : b))); // size field shortened to match
    d.feed(fill(0x00445566));
    await waitUntil('the second fill drawn', async () => (await firstPixel(display)) === 0x445566, 5000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/DRAW_FILL/);
    expect((await display.snapshot())!.data[0] & 0xffffff).toBe(0x445566);
    expect(display.state).toBe('ready');
    s.session.close();
  });

  it('WAIT_FOR_CHANNELS holds the display back until inputs processed the named serial', async () => {
    const s = await started();
    const display = s.session.display(0) as DisplayChannel;
    const d = s.transportOf(2).t;
    d.feed(surfaceCreate(4, 4));
    d.feed(miniMessage(5, new WireWriter().u8(1).u8(3).u8(0).u64(2n).finish())); // wait for inputs:0 serial 2
    d.feed(fill(0x00abcdef));
    await watchForNothing(20);
    expect((await display.snapshot())!.data[0] & 0xffffff).toBe(0);
    const inputs = s.transportOf(3).t;
    inputs.feed(miniMessage(101, new WireWriter().u16(0).finish()));
    await watchForNothing(20);
    expect((await display.snapshot())!.data[0] & 0xffffff).toBe(0);
    inputs.feed(miniMessage(101, new WireWriter().u16(0).finish()));
    await waitUntil('the fill drawn once inputs serial 2 is processed', async () => (await firstPixel(display)) === 0xabcdef, 5000);
    s.session.close();
  });

  it('links only the new channels when CHANNELS_LIST comes again', async () => {
    const s = await started();
    s.transportOf(1).t.feed(channelsList([[2, 0], [3, 0], [9, 0]]));
    await linked(s, '9:0');
    expect(s.links.map((l) => `${l.type}:${l.id}`).sort()).toEqual(['1:0', '2:0', '3:0', '9:0']);
    expect(s.session.status.get('9:0')).toEqual({ state: 'linked' });
    s.session.close();
  });

  it('a failing secondary channel is reported and the session goes on', async () => {
    const s = await started();
    const failures: string[] = [];
    s.session.events.on('channel-error', ({ error }) => failures.push(error.message));
    s.transportOf(3).t.feed(new WireWriter().u16(101).u32(0x7fffffff).finish());
    await waitUntil('the channel error', () => failures.length > 0, 5000);
    expect(failures[0]).toMatch(/declares 2147483647 bytes/);
    expect(s.session.status.get('3:0')?.state).toBe('failed');
    expect(s.session.main.state).toBe('ready');
    s.session.close();
  });
});

describe('how a session says a channel ended', () => {
  const failureOf = (s: Awaited<ReturnType<typeof started>>, key: string): Error | undefined => {
    const status = s.session.status.get(key);
    return status?.state === 'failed' ? status.error : undefined;
  };

  it('a linked channel closed by the server: kind unreachable, "the server closed the display channel connection"', async () => {
    const s = await started();
    s.transportOf(2).t.end();
    const error = await waitFor('the display failed', () => failureOf(s, '2:0'), 5000);
    expect(error).toMatchObject({ kind: 'unreachable', message: 'the server closed the display channel connection' });
    s.session.close();
  });

  it('a linked channel reset: the same sentence with the socket\'s reason, not "connection ... failed"', async () => {
    const s = await started();
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    s.transportOf(3).t.end(new SpiceError('unreachable', 'connection to memory failed: read ECONNRESET', { cause: reset }));
    const error = await waitFor('the inputs channel failed', () => failureOf(s, '3:0'), 5000);
    expect(error).toMatchObject({ kind: 'unreachable', message: 'the server closed the inputs channel connection (read ECONNRESET)' });
    s.session.close();
  });

  it('a channel after main refused at the link: "the ... channel was refused: ..." with the refusal\'s kind', async () => {
    const links: string[] = [];
    const session = new Session({
      connector: async ({ channelType }) => {
        links.push(String(channelType));
        const { transport } = fakeLinkServer(channelType === 2 ? { replyError: 7 } : {});
        if (channelType === 1) {
          const answer = transport.onWrite!;
          transport.onWrite = (data) => {
            answer(data);
            if (data.byteLength === 128) queueMicrotask(() => transport.feed(new Uint8Array([...mainInit(1, 1), ...channelsList([[2, 0]])])));
          };
        }
        return transport;
      },
      crypto: nodeTicketCrypto,
      logger: silentLogger,
      displaySink: new LocalDisplaySink({ logger: silentLogger }),
      where: 'memory',
    });
    await session.connect();
    const status = await waitFor('the display refused', () => {
      const st = session.status.get('2:0');
      return st?.state === 'failed' ? st.error : undefined;
    }, 5000);
    expect(status).toMatchObject({ kind: 'auth', message: 'the display channel was refused: the server at memory refused the password (wrong or expired ticket)' });
    session.close();
  });

  it('hands every mm time the main channel receives (MAIN_INIT, MULTI_MEDIA_TIME) to the display sink, which times video by it', async () => {
    const s = setup();
    const sink = s.session.displaySink as LocalDisplaySink;
    const times: number[] = [];
    const setMediaTime = sink.setMediaTime.bind(sink);
    sink.setMediaTime = (mm) => {
      times.push(mm);
      setMediaTime(mm);
    };
    const connecting = s.session.connect();
    await waitUntil('the main channel linking', () => s.links.some((l) => l.type === 1 && l.received.password !== undefined), 5000);
    s.transportOf(1).t.feed(miniMessage(MainMsg.INIT, new WireWriter().u32(1).u32(1).u32(1).u32(1).u32(0).u32(10).u32(123_456).u32(0).finish()));
    s.transportOf(1).t.feed(channelsList([[2, 0]]));
    await connecting;
    s.transportOf(1).t.feed(miniMessage(MainMsg.MULTI_MEDIA_TIME, new WireWriter().u32(654_321).finish()));
    await waitUntil('both mm times at the sink', () => times.length === 2, 5000);
    expect(times).toEqual([123_456, 654_321]);
    s.session.close();
  });
});
