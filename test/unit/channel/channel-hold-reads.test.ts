// A channel's reads held and let flow again (the gateway holds a display channel's while its next
// packet to the page waits): nothing is handled while held, everything in order after, and a
// closing channel always reads on.
import { describe, expect, it } from 'vitest';
import { SpiceChannel, type ChannelHost, type MessageHandler } from '../../../src/protocol/channel/channel.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { memoryChannelHost } from '../../helpers/channel-host.ts';
import { fakeLinkServer } from '../../helpers/fake-link-server.ts';
import { miniMessage } from '../../helpers/server-messages.ts';
import { drainQueuedWork } from '../../helpers/wait.ts';

class CountingChannel extends SpiceChannel {
  readonly seen: number[] = [];
  constructor(host: ChannelHost) {
    super(host, 2, 0);
  }
  protected handlerFor(type: number): MessageHandler<this> | undefined {
    if (type !== 150) return undefined;
    return {
      name: 'NUMBERED',
      handle: (_ch, body) => {
        this.seen.push(body[0]);
      },
    };
  }
}

const numbered = (n: number): Uint8Array => miniMessage(150, new WireWriter().u8(n).finish());

async function linked(): Promise<{ ch: CountingChannel; transport: ReturnType<typeof fakeLinkServer>['transport'] }> {
  const { transport } = fakeLinkServer();
  const ch = new CountingChannel(memoryChannelHost(transport));
  await ch.connect(0);
  return { ch, transport };
}

describe('holding a channel’s reads', () => {
  it('handles nothing that arrives while held, then all of it in order once they flow', async () => {
    const { ch, transport } = await linked();
    const run = ch.run();
    transport.feed(numbered(1));
    await drainQueuedWork();
    expect(ch.holdReads(true)).toBe(true);
    expect(transport.readsPaused).toBe(true);
    transport.feed(numbered(2));
    transport.feed(numbered(3));
    await drainQueuedWork();
    expect(ch.seen).toEqual([1]);
    expect(ch.holdReads(false)).toBe(false);
    await drainQueuedWork();
    expect(ch.seen).toEqual([1, 2, 3]);
    void ch.close();
    await run;
  });

  it('holds nothing before the channel is ready, nor on a connection that cannot pause', async () => {
    const { transport } = fakeLinkServer();
    const ch = new CountingChannel(memoryChannelHost(transport));
    expect(ch.holdReads(true)).toBe(false);
    await ch.connect(0);
    const t = transport as { pauseReads?: () => void };
    t.pauseReads = undefined;
    expect(ch.holdReads(true)).toBe(false);
    expect(transport.readsPaused).toBe(false);
  });

  it('lets the reads flow again when it closes or is left to the server', async () => {
    const first = await linked();
    first.ch.holdReads(true);
    void first.ch.close();
    expect(first.transport.readsPaused).toBe(false);
    const second = await linked();
    second.ch.holdReads(true);
    void second.ch.leaveToServer(Promise.resolve(), 10);
    expect(second.transport.readsPaused).toBe(false);
  });
});
