// Capability sets: capability N is bit (N mod 32) of u32 word N/32.

export class CapSet {
  readonly words: number[];

  constructor(words: number[] = []) {
    this.words = words.slice();
  }

  static of(...caps: number[]): CapSet {
    const set = new CapSet();
    for (const c of caps) set.add(c);
    return set;
  }

  add(cap: number): this {
    const word = cap >>> 5;
    while (this.words.length <= word) this.words.push(0);
    this.words[word] = (this.words[word] | (1 << (cap & 31))) >>> 0;
    return this;
  }

  has(cap: number): boolean {
    const word = cap >>> 5;
    return word < this.words.length && (this.words[word] & (1 << (cap & 31))) !== 0;
  }

  /** Capability numbers present, ascending. */
  list(): number[] {
    const out: number[] = [];
    this.words.forEach((w, i) => {
      for (let b = 0; b < 32; b++) if (w & (1 << b)) out.push(i * 32 + b);
    });
    return out;
  }
}
