// The guest's playback handled in the decode worker, where the bridge runs (bridge-in-worker.ts):
// the worker parses each playback body and posts what the playout needs straight into the
// worklet through a port the page made with it (playout-link.ts), so no sound packet wakes the
// page's thread. There each packet cost a host message out of the worker, a structured clone and a
// post into the worklet (page-profile --audio opus: the page's thread 0.033 CPU s/s, about what
// the worker spent relaying it; bench/README.md, audio). The page keeps the output (the context,
// the user-gesture gate, the idle sleep), the controls and the position reports: it tells the
// worker the output's state and the local volume, and hears back the playback's numbers, its
// problems, and when sound wants the output opened. With #bridge=page the page's own PagePlayback
// does all of this on its thread, as before.
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import { PlaybackMsg } from '../../protocol/channels/playback/playback-messages.ts';
import { PagePlayback, withWorkletCounts, type OpusDecoding, type PlaybackControl, type PlaybackStats } from './page-playback.ts';
import { PlayoutLink, type PlayoutLinkState, type PlayoutPort } from './playout-link.ts';
import type { WorkletOpusCounts } from './worklet-messages.ts';

/** What the page tells the worker's playback. */
export type PlaybackToWorker =
  /** The page plays sound (head 1's window): playback bodies stay in the worker from now on. */
  | { kind: 'playback-here'; opusDecoding: OpusDecoding }
  /** The worklet's second port (transferred), made with a new output, and its ring where the page could share memory (playout-ring.ts). */
  | { kind: 'playout-port'; port: MessagePort; ring: SharedArrayBuffer | null }
  | { kind: 'playout-state'; state: PlayoutLinkState }
  /** The page's own volume (0..1) and mute. */
  | { kind: 'playback-local'; volume: number; muted: boolean }
  /** The worklet could not load its Opus decoder, or refused a packet. */
  | { kind: 'playback-worklet'; report: 'opus-unavailable' | 'opus-error'; why: string };

/** What the worker's playback tells the page. */
export type PlaybackFromWorker =
  /** The playback's numbers, after every message but DATA, and at most every STATS_EVERY_MS while DATA comes. */
  | { kind: 'playback-stats'; stats: PlaybackStats }
  /** A sentence for the status line (a malformed message, a decoder that failed). */
  | { kind: 'playback-problem'; message: string }
  /** Sound is coming: the page opens its output, or wakes it (AudioOutput.want). */
  | { kind: 'playout-want' };

/** How often the numbers go to the page while DATA streams in (the page's state is read by tests and the status). */
export const STATS_EVERY_MS = 250;

/** Host messages that end the session's sound: a new session's display reset, a session that closed, failed or reconnects. */
export function endsSound(m: HostMessage): boolean {
  return m.kind === 'display-reset' || (m.kind === 'status' && (m.status.state === 'error' || m.status.state === 'closed' || m.status.state === 'reconnecting'));
}

export class WorkerPlayback {
  private readonly link: PlayoutLink;
  private readonly playback: PagePlayback;
  private statsAt = -Infinity;

  constructor(
    private readonly post: (m: PlaybackFromWorker) => void,
    opusDecoding: OpusDecoding,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.link = new PlayoutLink(() => post({ kind: 'playout-want' }));
    this.playback = new PagePlayback(this.link, (message) => post({ kind: 'playback-problem', message }), opusDecoding);
  }

  /** A playback channel body, as the bridge got it (its bytes are copied before this returns). */
  receive(type: number, body: Uint8Array): void {
    this.playback.receive(type, body);
    const now = this.now();
    if (type !== PlaybackMsg.DATA || now - this.statsAt >= STATS_EVERY_MS) this.sendStats(now);
  }

  /** The session's sound ends (endsSound, or the bridge closed or was replaced). */
  reset(): void {
    this.playback.reset();
    this.sendStats(this.now());
  }

  command(m: PlaybackToWorker): void {
    switch (m.kind) {
      case 'playback-here':
        return;
      case 'playout-port':
        this.link.setPort(m.port as PlayoutPort, m.ring);
        this.sendStats(this.now());
        return;
      case 'playout-state':
        this.link.setState(m.state);
        return;
      case 'playback-local':
        this.playback.setLocal(m.volume, m.muted);
        return;
      case 'playback-worklet':
        if (m.report === 'opus-unavailable') this.playback.workletUnavailable(m.why);
        else this.playback.workletError(m.why);
        this.sendStats(this.now());
        return;
    }
  }

  /** Messages held for an output that is not on yet (tests). */
  get held(): number {
    return this.link.heldCount;
  }

  private sendStats(now: number): void {
    this.statsAt = now;
    this.post({ kind: 'playback-stats', stats: { ...this.playback.stats, route: this.link.shared ? 'worker-ring' : 'worker-port' } });
  }
}

/**
 * The page's side (audio-part.ts): the playback as the page's controls and state see it, while
 * the worker does the work. Its numbers are the worker's last, with the worklet's own decoding
 * counts, which the page hears in the position reports, added.
 */
export class WorkerPlaybackProxy implements PlaybackControl {
  private last: PlaybackStats;
  private worklet: WorkletOpusCounts = { decoded: 0, errors: 0, dropped: 0 };

  constructor(
    private readonly toWorker: (m: PlaybackToWorker, transfer?: Transferable[]) => void,
    opusDecoding: OpusDecoding,
  ) {
    this.last = { packets: 0, decoded: 0, dropped: 0, errors: 0, starts: 0, restamped: 0, opusDecoding, mode: null, stream: null, guest: { volume: null, muted: false }, serverLatencyMs: null, route: 'worker-port' };
    toWorker({ kind: 'playback-here', opusDecoding });
  }

  /** The worker's new numbers. */
  update(stats: PlaybackStats): void {
    this.last = stats;
  }

  setLocal(volume: number, muted: boolean): void {
    this.toWorker({ kind: 'playback-local', volume, muted });
  }

  /** The worker ends the sound itself, on the same host messages and before the next session's (endsSound): nothing to tell it. */
  reset(): void {}

  workletCounts(c: WorkletOpusCounts): void {
    this.worklet = c;
  }

  workletUnavailable(why: string): void {
    this.toWorker({ kind: 'playback-worklet', report: 'opus-unavailable', why });
  }

  workletError(why: string): void {
    this.toWorker({ kind: 'playback-worklet', report: 'opus-error', why });
  }

  get playing(): boolean {
    return this.last.stream !== null;
  }

  get stats(): PlaybackStats {
    return withWorkletCounts(this.last, this.worklet);
  }
}
