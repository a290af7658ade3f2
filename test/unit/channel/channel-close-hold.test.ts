// A channel that must not end before the server has spoken (the display: spice-server 0.15 crashes
// when a display connection ends while it waits for DISPLAY_INIT) keeps its connection open after
// close() until the server's first message, a failed link, or a grace period.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SpiceChannel, type ChannelHost, type MessageHandler } from '../../../src/protocol/channel/channel.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { memoryChannelHost } from '../../helpers/channel-host.ts';
import { fakeLinkServer } from '../../helpers/fake-link-server.ts';
import type { MemoryTransport } from '../../helpers/memory-transport.ts';
import { miniMessage } from '../../helpers/server-messages.ts';
import { drainQueuedWork } from '../../helpers/wait.ts';

class HeldChannel extends SpiceChannel {
  constructor(host: ChannelHost, hold: boolean) {
    super(host, 2, 0);
    this.holdCloseUntilServerSpeaks = hold;
  }
  protected handlerFor(): MessageHandler<this> | undefined {
    return undefined;
  }
}

function channelOver(transport: MemoryTransport, hold = true): HeldChannel {
  return new HeldChannel(memoryChannelHost(transport), hold);
}

const setAck = (): Uint8Array => miniMessage(3, new WireWriter().u32(1).u32(20).finish());

describe('closing a channel that waits for the server to speak', () => {
  afterEach(() => vi.useRealTimers());

  it('stays open after close() until the first message arrives', async () => {
    const { transport } = fakeLinkServer();
    const ch = channelOver(transport);
    await ch.connect(0);
    let closed = false;
    const closing = ch.close().then(() => (closed = true));
    await drainQueuedWork();
    expect(transport.closed).toBe(false);
    expect(closed).toBe(false);
    transport.feed(setAck());
    await closing;
    expect(transport.closed).toBe(true);
  });

  it('closes at once when the server has already spoken', async () => {
    const { transport } = fakeLinkServer();
    const ch = channelOver(transport);
    await ch.connect(0);
    transport.feed(setAck());
    const run = ch.run();
    await drainQueuedWork();
    void ch.close();
    expect(transport.closed).toBe(true);
    await run;
  });

  it('closes at once when bytes of the first message are already buffered', async () => {
    const { transport } = fakeLinkServer();
    const ch = channelOver(transport);
    await ch.connect(0);
    transport.feed(setAck().subarray(0, 3));
    void ch.close();
    await drainQueuedWork();
    expect(transport.closed).toBe(true);
  });

  it('closes at once when it does not hold', async () => {
    const { transport } = fakeLinkServer();
    const ch = channelOver(transport, false);
    await ch.connect(0);
    void ch.close();
    expect(transport.closed).toBe(true);
  });

  it('gives up waiting after the grace period', async () => {
    const { transport } = fakeLinkServer();
    const ch = channelOver(transport);
    await ch.connect(0);
    vi.useFakeTimers();
    const closing = ch.close();
    await vi.advanceTimersByTimeAsync(4900);
    expect(transport.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    await closing;
    expect(transport.closed).toBe(true);
  });

  it('closed while the link finishes (after the ticket): the link fails, the connection waits for the server', async () => {
    const { transport } = fakeLinkServer();
    const ch = channelOver(transport);
    const serverSide = transport.onWrite;
    let closing: Promise<void> | undefined;
    transport.onWrite = (data) => {
      serverSide?.(data);
      // The ticket is out (the server may be setting the channel up now): the user leaves,
      // before the link result has been read.
      if (data.byteLength === 128) queueMicrotask(() => (closing = ch.close()));
    };
    await expect(ch.connect(0)).rejects.toThrow(/closed while it linked/);
    expect(closing).toBeDefined();
    await drainQueuedWork();
    expect(transport.closed).toBe(false);
    transport.feed(setAck());
    await closing;
    expect(transport.closed).toBe(true);
  });

  it('closed before the ticket went out: closes at once', async () => {
    const { transport } = fakeLinkServer();
    const ch = channelOver(transport);
    const serverSide = transport.onWrite;
    transport.onWrite = (data) => {
      serverSide?.(data);
      if (transport.written.length === 1) void ch.close();
    };
    await expect(ch.connect(0)).rejects.toThrow();
    expect(transport.closed).toBe(true);
  });
});
