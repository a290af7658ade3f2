// The microphone's sending in the decode worker, where the bridge runs: the page opens the
// microphone and its capture worklet (microphone.ts), hands the worklet a port into this worker,
// and the blocks come here directly; the record sender (record-sender.ts) frames, scales and
// encodes them and they leave through the worker's bridge. On the page's thread each block cost a
// worklet message, the framing and the encoder's output, and each packet a post to this worker
// (about 100 of each a second while the server records). The page hears back the counts and the
// mode (the encoder may fail over to RAW).
import type { UiMessage } from '../../protocol/bridge/bridge-messages.ts';
import { noRecordCounts, RecordSender, type GuestMixer, type RecordCounts, type RecordSenderOptions } from './record-sender.ts';
import type { FromCapture } from './worklet-messages.ts';

export type RecordToWorker =
  /** RECORD START, the microphone open: its capture worklet's second port (transferred). */
  | { kind: 'record-open'; port: MessagePort; options: RecordSenderOptions }
  | { kind: 'record-guest'; guest: GuestMixer }
  /** RECORD STOP, or the page let the microphone go. */
  | { kind: 'record-close' };

export type RecordFromWorker =
  /** After the open, at a mode change, and at most every STATS_EVERY_MS while blocks come. */
  { kind: 'record-stats'; counts: RecordCounts; mode: 'raw' | 'opus' | null; sent: number };

const STATS_EVERY_MS = 250;

/** The part of a MessagePort this uses. */
interface CapturePort {
  onmessage: ((e: MessageEvent<FromCapture>) => void) | null;
  close(): void;
}

export class WorkerRecord {
  private sender: RecordSender | null = null;
  private port: CapturePort | null = null;
  private statsAt = -Infinity;
  /** Packets handed to the bridge since the microphone opened. */
  private sent = 0;

  constructor(
    /** Through the worker's bridge; false when there is none (the packet is dropped). */
    private readonly send: (m: UiMessage) => boolean,
    private readonly post: (m: RecordFromWorker) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  command(m: RecordToWorker): void {
    switch (m.kind) {
      case 'record-open': {
        this.close();
        this.sent = 0;
        const sender = new RecordSender(
          m.options,
          (payload, mode) => {
            if (this.send({ kind: 'record-data', mode, time: 0, payload })) this.sent++;
          },
          () => this.report(),
        );
        const port = m.port as CapturePort;
        port.onmessage = (e) => {
          if (this.sender !== sender) return;
          sender.push(e.data.planes);
          if (this.now() - this.statsAt >= STATS_EVERY_MS) this.report();
        };
        this.sender = sender;
        this.port = port;
        this.report();
        return;
      }
      case 'record-guest':
        this.sender?.setGuest(m.guest);
        return;
      case 'record-close':
        this.close();
        return;
    }
  }

  /** The microphone's sending stops (also when the bridge closes or is replaced: the next session's record channel has not started). */
  close(): void {
    if (!this.sender) return;
    this.report();
    this.sender.close();
    this.sender = null;
    if (this.port) this.port.onmessage = null;
    this.port?.close();
    this.port = null;
  }

  private report(): void {
    this.statsAt = this.now();
    const s = this.sender;
    this.post({ kind: 'record-stats', counts: s ? { ...s.counts } : noRecordCounts(), mode: s ? s.mode : null, sent: this.sent });
  }
}
