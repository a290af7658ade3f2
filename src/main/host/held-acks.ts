// The display channel's ACKs, held until the packet that carries the acknowledged messages leaves
// for the page. spice-server stops sending a channel's messages when two ACK windows (40 display
// messages) are unacknowledged, and while it waits it merges the drawing it has queued: a
// scrolling terminal is then sent as fewer, larger updates. Acknowledging as soon as the gateway
// had parsed a message let the server send every intermediate step: on the gateway bench the
// gateway received 3-3.5 MiB/s where spice-html5 (which acknowledges from the page) got 0.7, and
// the page decoded all of it for the same 60 frames a second. Held until the packet, the
// acknowledgement follows what the page is sent, as in a client that draws where it reads.
// A busy display has two or three ACKs due a packet: the channel sends them in one write.
import type { SpiceChannel } from '../../protocol/channel/channel.ts';
import { ChannelType } from '../../protocol/link/constants.ts';

export class HeldAcks {
  private held: (() => void)[] = [];

  /**
   * `flushSoon` makes sure a packet (and so the ACKs) leaves soon: an ACK is due only after
   * display messages were queued, so one is normally on its way already.
   */
  constructor(private readonly flushSoon: () => void) {}

  /** Holds a display channel's ACKs from now on; other channels acknowledge at once. */
  attach(channel: SpiceChannel): void {
    if (channel.type !== ChannelType.DISPLAY) return;
    // Called at a channel's first held ACK: `sendHeld` sends that one and any due after it.
    channel.ackGate = (sendHeld) => {
      this.held.push(sendHeld);
      this.flushSoon();
    };
  }

  /** Sends every held ACK, each channel's in one write (a channel closed meanwhile sends nothing). */
  release(): void {
    if (this.held.length === 0) return;
    const sends = this.held;
    this.held = [];
    for (const send of sends) send();
  }
}
