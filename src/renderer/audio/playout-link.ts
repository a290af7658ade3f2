// The decode worker's way into the playout worklet (worker-playback.ts): a port the page made
// with the worklet (audio-output.ts, playoutPort), or where the page is cross-origin isolated a
// ring in shared memory made with it (playout-ring.ts), and the page's output state as the page
// last told it. It stands where AudioOutput stands on the page's thread (PagePlayback posts to either):
// messages go through the port while the output is on; before it is (the worklet loads, the
// browser waits for a user gesture) they are held, bounded as the page's output bounds them, and
// sent in order once it is. Sound asks the page to open the output, or to wake it from its idle
// sleep, as a post of sound does on the page.
import type { PlayoutLinkState, SoundGate } from './audio-output.ts';
import { PlayoutRingWriter } from './playout-ring.ts';
import { bringsSound, isSoundData, type ToPlayout } from './worklet-messages.ts';

export type { PlayoutLinkState };

/** The part of a MessagePort the link uses. */
export interface PlayoutPort {
  postMessage(m: ToPlayout, transfer: Transferable[]): void;
  close(): void;
}

/**
 * Messages held while the output is not on. Beyond it, the oldest sound goes (counted): about 2 s
 * of 10 ms packets, what the page's output keeps while it waits for a gesture.
 */
export const MAX_HELD = 200;
/** How soon held messages are tried again when the ring had no room (the worklet empties it every 2.7 ms while it runs). */
export const RING_RETRY_MS = 10;

export class PlayoutLink {
  private state: PlayoutLinkState = { gate: 'off', asleep: false };
  private port: PlayoutPort | null = null;
  private ring: PlayoutRingWriter | null = null;
  private retrying = false;
  private held: { m: ToPlayout; transfer: Transferable[] }[] = [];
  /** Sound dropped while held (over MAX_HELD) or while the output failed. */
  dropped = 0;

  constructor(
    /** Tells the page that sound is coming (it opens or wakes its output). */
    private readonly want: () => void,
    private readonly later: (run: () => void, ms: number) => void = (run, ms) => void setTimeout(run, ms),
  ) {}

  /** The output's gate as the page last said, or 'starting' once this link asked it to open. */
  get gate(): SoundGate {
    return this.state.gate;
  }

  /** The worklet's port, and its ring where the page could make one (a new output's replace an old one's). */
  setPort(port: PlayoutPort, ring: SharedArrayBuffer | null = null): void {
    this.port?.close();
    this.port = port;
    this.ring = ring ? new PlayoutRingWriter(ring) : null;
    this.flush();
  }

  /** Whether the messages go through shared memory (tests, the page's state). */
  get shared(): boolean {
    return this.ring !== null;
  }

  /** What the page's output says of itself now. */
  setState(state: PlayoutLinkState): void {
    this.state = { ...state };
    if (state.gate === 'failed') this.dropHeld();
    this.flush();
  }

  post(m: ToPlayout, transfer: Transferable[] = []): void {
    if (bringsSound(m)) this.askForOutput();
    if (this.state.gate === 'failed') {
      if (bringsSound(m)) this.dropped++;
      return;
    }
    if (this.open && this.held.length === 0 && this.send(m, transfer)) return;
    this.held.push({ m, transfer });
    if (this.held.length > MAX_HELD) {
      const oldest = this.held.findIndex((h) => isSoundData(h.m));
      this.held.splice(oldest >= 0 ? oldest : 0, 1);
      this.dropped++;
    }
    // Open, and still held: the ring was full (a worklet that stalled); the next message may never come.
    if (this.open) this.retryLater();
  }

  /** Messages held now (tests). */
  get heldCount(): number {
    return this.held.length;
  }

  private get open(): boolean {
    return this.port !== null && this.state.gate === 'on';
  }

  /** As the page's own post of sound: the output opens the first time, and wakes from its sleep. */
  private askForOutput(): void {
    if (this.state.gate === 'off') this.state = { ...this.state, gate: 'starting' };
    else if (!this.state.asleep) return;
    this.state = { ...this.state, asleep: false };
    this.want();
  }

  /** Into the ring, else the port; false when the ring has no room now. */
  private send(m: ToPlayout, transfer: Transferable[]): boolean {
    if (!this.ring) {
      this.port!.postMessage(m, transfer);
      return true;
    }
    try {
      return this.ring.write(m);
    } catch {
      // Larger than the ring takes (the channel bounds a packet far below it): dropped, not held for ever.
      this.dropped++;
      return true;
    }
  }

  private flush(): void {
    if (!this.open) return;
    let sent = 0;
    while (sent < this.held.length && this.send(this.held[sent].m, this.held[sent].transfer)) sent++;
    this.held.splice(0, sent);
    if (this.held.length > 0) this.retryLater();
  }

  private retryLater(): void {
    if (this.retrying) return;
    this.retrying = true;
    this.later(() => {
      this.retrying = false;
      this.flush();
    }, RING_RETRY_MS);
  }

  private dropHeld(): void {
    this.dropped += this.held.filter((h) => bringsSound(h.m)).length;
    this.held = [];
  }
}
