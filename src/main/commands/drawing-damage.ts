// What a command that writes the screen (`capture`, `do capture`) tells its user when draws were
// dropped: a corrupted image or a malformed draw leaves its area as it was, so the picture is not
// the screen. The draws are counted from when the watch starts (or restarts) and named.
import type { DisplayChannel } from '../../protocol/channels/display/display-channel.ts';

export class DrawingDamage {
  private count = 0;
  private first = '';
  private readonly off: () => void;

  constructor(display: DisplayChannel) {
    this.off = display.events.on('message-error', ({ message }) => {
      if (this.count++ === 0) this.first = message;
    });
  }

  /** Null when every draw so far was applied; else one sentence naming the first that was not. */
  describe(): string | null {
    if (this.count === 0) return null;
    const what = this.count === 1 ? 'a draw could not be applied' : `${this.count} draws could not be applied (the first shown)`;
    return `${what}, so its area shows what was there before: ${this.first}`;
  }

  /** Counts from now on (after a capture that reported what came before). */
  restart(): void {
    this.count = 0;
    this.first = '';
  }

  stop(): void {
    this.off();
  }
}
