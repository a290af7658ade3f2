// The display channels' reads, held while the gateway's next packet to the page waits out its
// interval (packet-pacing.ts). A busy server writes each display message on its own: on the live
// scene (a scrolling terminal and a moving box) Xspice's 1,700 messages a second came in 400 reads
// a second, each a wake-up of the gateway and a call into JavaScript, while the messages they
// carried waited for the same packet anyway. Held, they wait in the socket instead and come in
// one read when the packet is due; nothing reaches the page later than it would have.
// Only while the packet being gathered is small: a large one means a burst is coming in (a screen
// of images), which is read as fast as it comes and leaves in full packets as soon as they fill,
// as before, rather than waiting in a socket whose window a remote server would then see close.
import type { SpiceChannel } from '../../protocol/channel/channel.ts';
import { ChannelType } from '../../protocol/link/constants.ts';
import type { ReadHold } from './packet-pacing.ts';

/** The size of the packet being gathered from which reads are no longer held. */
export const HOLD_READS_BELOW_BYTES = 256 * 1024;

export class HeldReads implements ReadHold {
  private readonly channels = new Set<SpiceChannel>();
  private held: SpiceChannel[] = [];

  /** `gatheredBytes`: the size of the packet being gathered for the page. */
  constructor(private readonly gatheredBytes: () => number) {}

  /** Holds a display channel's reads whenever asked from now on; other channels read at once. */
  attach(channel: SpiceChannel): void {
    if (channel.type === ChannelType.DISPLAY) this.channels.add(channel);
  }

  hold(): void {
    if (this.gatheredBytes() >= HOLD_READS_BELOW_BYTES) return;
    for (const ch of this.channels) {
      if (ch.state === 'closed') this.channels.delete(ch);
      else if (!this.held.includes(ch) && ch.holdReads(true)) this.held.push(ch);
    }
  }

  /** The packet being gathered grew: past the bound, a burst is coming in, and reads flow again. */
  packetGrew(): void {
    if (this.held.length > 0 && this.gatheredBytes() >= HOLD_READS_BELOW_BYTES) this.release();
  }

  release(): boolean {
    if (this.held.length === 0) return false;
    const held = this.held;
    this.held = [];
    for (const ch of held) ch.holdReads(false);
    return true;
  }
}
