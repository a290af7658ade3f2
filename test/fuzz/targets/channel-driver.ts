// Drives a real channel object over an in-memory connection: the fake server answers the link,
// then the input (server messages with mini headers) is fed to the channel's own message loop,
// which frames it, handles base messages and dispatches the rest through the channel's handler
// table (and, for the display, the pipeline's decoders and compositor).
import type { ChannelHost, SpiceChannel } from '../../../src/protocol/channel/channel.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import { nodeTicketCrypto } from '../../../src/main/node/ticket-crypto.ts';
import { fakeLinkServer } from '../../helpers/fake-link-server.ts';

/** How the fuzzer ends the connection after the input: not an outcome of the input itself. */
class InputEnded extends Error {
  override name = 'InputEnded';
}

export interface DriveOptions {
  /** Capabilities the fake server offers for this channel (bit numbers). */
  channelCaps?: number[];
  /** Waits for work the channel handed on (the display pipeline), after the loop ended. */
  settle?: () => Promise<void>;
}

function capWords(bits: readonly number[]): number[] {
  const words: number[] = [];
  for (const bit of bits) {
    const w = bit >> 5;
    while (words.length <= w) words.push(0);
    words[w] = (words[w] | (1 << (bit & 31))) >>> 0;
  }
  return words;
}

/** A ChannelHost for one channel alone: other channels have always caught up. */
function soloHost(connect: () => ReturnType<ChannelHost['connector']>): ChannelHost {
  return {
    logger: silentLogger,
    connector: connect,
    crypto: nodeTicketCrypto,
    password: '',
    where: 'fuzz',
    waitForSerial: async () => {},
    processed: () => {},
  };
}

export async function driveChannel<C extends SpiceChannel>(make: (host: ChannelHost) => C, input: Uint8Array, o: DriveOptions = {}): Promise<C> {
  const { transport } = fakeLinkServer({ channelCaps: capWords(o.channelCaps ?? []) });
  const channel = make(soloHost(async () => transport));
  await channel.connect(1);
  const running = channel.run();
  transport.feed(input);
  transport.end(new InputEnded('end of the fuzz input'));
  try {
    await running;
  } catch (e) {
    if (!(e instanceof InputEnded)) throw e;
  } finally {
    channel.close();
  }
  await o.settle?.();
  return channel;
}
