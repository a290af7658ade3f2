// STREAM_REPORT: how the client tells the server how its video frames arrive, so that the server
// adapts frame rate, quality or bit rate. Computed as spice-gtk does: after the server's
// STREAM_ACTIVATE_REPORT, every frame counts in a window; a frame whose mm time is already past on
// arrival counts as a drop; the window is sent when it holds max_window_size frames, when
// timeout_ms of wall time have passed since its first frame, or after 3 late frames in a row.
import type { StreamReport } from './display-messages.ts';

/** Audio delay when no playback drives the clock: the server then ignores it. */
export const NO_AUDIO_DELAY = 0xffffffff;
/** This many late frames in a row send the window at once (gtk's STREAM_REPORT_DROP_SEQ_LEN_LIMIT). */
export const DROP_SEQUENCE_LIMIT = 3;

/** "I cannot decode this stream" / "no such stream": the server stops streaming it and sends draws. */
export function cannotDecodeReport(streamId: number, uniqueId = 0): StreamReport {
  return { streamId, uniqueId, startFrameMmTime: 0, endFrameMmTime: 0, numFrames: 0, numDrops: 0xffffffff, lastFrameDelay: 0, audioDelay: 0 };
}

/** mm times are u32 and wrap: the signed difference a − b. */
export const mmDelta = (a: number, b: number): number => ((a - b) | 0);

export class StreamReportWindow {
  readonly streamId: number;
  readonly uniqueId: number;
  readonly maxWindowSize: number;
  readonly timeoutMs: number;
  private numFrames = 0;
  private numDrops = 0;
  private dropSequence = 0;
  private startFrameMmTime = 0;
  private startWallMs = 0;

  constructor(o: { streamId: number; uniqueId: number; maxWindowSize: number; timeoutMs: number }) {
    this.streamId = o.streamId;
    this.uniqueId = o.uniqueId;
    // A window of 0 frames would report every frame; the server's is 5.
    this.maxWindowSize = Math.max(1, o.maxWindowSize);
    this.timeoutMs = o.timeoutMs;
  }

  /**
   * One frame arrived, meant for mm time `frameMmTime`, while the session's clock says `nowMm`
   * (null when the server has not set it: the frame counts as on time). Returns the report to send
   * when this frame closes the window.
   */
  frame(frameMmTime: number, nowMm: number | null, wallMs: number): StreamReport | null {
    const margin = nowMm === null ? 0 : mmDelta(frameMmTime, nowMm);
    if (this.numFrames === 0) {
      this.startFrameMmTime = frameMmTime;
      this.startWallMs = wallMs;
    }
    this.numFrames++;
    if (margin < 0) {
      this.numDrops++;
      this.dropSequence++;
    } else {
      this.dropSequence = 0;
    }
    const full = this.numFrames >= this.maxWindowSize;
    const timedOut = wallMs - this.startWallMs >= this.timeoutMs;
    if (!full && !timedOut && this.dropSequence < DROP_SEQUENCE_LIMIT) return null;
    const report: StreamReport = {
      streamId: this.streamId,
      uniqueId: this.uniqueId,
      startFrameMmTime: this.startFrameMmTime,
      endFrameMmTime: frameMmTime,
      numFrames: this.numFrames,
      numDrops: this.numDrops,
      lastFrameDelay: margin,
      audioDelay: NO_AUDIO_DELAY,
    };
    this.numFrames = 0;
    this.numDrops = 0;
    this.dropSequence = 0;
    return report;
  }
}
