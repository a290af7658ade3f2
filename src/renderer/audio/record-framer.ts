// The microphone's samples cut into what the record channel sends: frames of 480 stereo samples
// at the server's rate (one Opus frame of 10 ms at 48 kHz; gtk sends RAW in the same size), mono
// duplicated, resampled linearly when the capture runs at another rate. Pure, tested in Node.

/** Samples per channel of one record DATA (SND_CODEC_OPUS_FRAME_SIZE). */
export const RECORD_FRAME_SAMPLES = 480;

export class RecordFramer {
  private readonly step: number;
  /** Fractional read position into `pending` (frames). */
  private pos = 0;
  /** Input frames (interleaved stereo) not yet consumed, with one of look-ahead kept. */
  private pending = new Float32Array(0);
  private out = new Float32Array(RECORD_FRAME_SAMPLES * 2);
  private filled = 0;

  /** `inputRate`: the capture's rate (the AudioContext's); `outputRate`: the server's START frequency. */
  constructor(inputRate: number, outputRate: number) {
    this.step = inputRate / outputRate;
  }

  /**
   * Captured planes (one Float32Array per channel; one plane is mono); calls `frame` with each
   * complete 480-sample interleaved stereo frame (a view: copy it to keep it).
   */
  push(planes: readonly Float32Array[], frame: (interleaved: Float32Array) => void): void {
    const l = planes[0];
    if (!l || l.length === 0) return;
    const r = planes[1] ?? l;
    const kept = this.pending.length >> 1;
    const joined = new Float32Array((kept + l.length) * 2);
    joined.set(this.pending);
    for (let i = 0; i < l.length; i++) {
      joined[2 * (kept + i)] = l[i];
      joined[2 * (kept + i) + 1] = r[i];
    }
    const frames = kept + l.length;
    while (this.pos + 1 < frames) {
      const i = Math.floor(this.pos);
      const f = this.pos - i;
      this.out[2 * this.filled] = joined[2 * i] + (joined[2 * i + 2] - joined[2 * i]) * f;
      this.out[2 * this.filled + 1] = joined[2 * i + 1] + (joined[2 * i + 3] - joined[2 * i + 1]) * f;
      this.filled++;
      this.pos += this.step;
      if (this.filled === RECORD_FRAME_SAMPLES) {
        frame(this.out);
        this.filled = 0;
      }
    }
    const consumed = Math.floor(this.pos);
    this.pending = joined.slice(consumed * 2);
    this.pos -= consumed;
  }
}
