// How much time the audio output lost while sound played: the wall clock against the context's
// clock, read at each render quantum. A device (or Chromium's fake output on a loaded machine)
// whose render thread was not run for a while does not catch up: the context's time falls behind
// the wall clock for good, the packets that came meanwhile pile up in the playout buffer, and the
// playout skips back to its target (playout.ts). This tells such a skip, which is the design, from
// one with no stall behind it, which would be a bug. Pure arithmetic: the worklet feeds it, Node
// tests it.

export interface OutputStallStats {
  /** Wall-clock ms the output fell behind over all playing spells. */
  lostMs: number;
  /** The most it fell behind within one playing spell. */
  longestMs: number;
}

export class OutputStallWatch {
  /** The smallest wall-minus-context offset of this playing spell (ms), or null between spells. */
  private base: number | null = null;
  /** How far this spell's offset has risen over its base. */
  private spellLoss = 0;
  private lostBefore = 0;
  private longest = 0;

  /**
   * One render quantum at wall time `wallMs` and context time `contextMs`, while sound plays
   * (`playing`); quanta between spells (buffering, idle, a suspended context) are not counted.
   */
  observe(wallMs: number, contextMs: number, playing: boolean): void {
    if (!playing) {
      this.endSpell();
      return;
    }
    const offset = wallMs - contextMs;
    if (this.base === null || offset < this.base) {
      // A quantum rendered early of the wall clock (the device's buffer filled ahead) lowers the base.
      this.base = offset;
      return;
    }
    this.spellLoss = Math.max(this.spellLoss, offset - this.base);
    this.longest = Math.max(this.longest, this.spellLoss);
  }

  get stats(): OutputStallStats {
    return { lostMs: this.lostBefore + this.spellLoss, longestMs: this.longest };
  }

  private endSpell(): void {
    this.lostBefore += this.spellLoss;
    this.spellLoss = 0;
    this.base = null;
  }
}
