// A display channel's palette cache. The server keeps at most CLIENT_PALETTE_CACHE_SIZE (128)
// palettes per client in its record of this cache and sends INVAL_PALETTE for each it drops
// (spice-server's dcc.h); spice-gtk keeps a plain table. A server that goes past that without
// invalidating is out of the protocol: the oldest palette is dropped (a later reference to it is
// a clear "palette not in the cache" error), so the cache stays bounded. Charged to the budget.
import type { PaletteCache } from '../codecs/bitmap.ts';
import type { Palette } from '../pixels/formats.ts';
import type { MemoryBudget } from '../wire/memory-budget.ts';

/** spice-server's CLIENT_PALETTE_CACHE_SIZE. */
export const SERVER_PALETTE_CACHE_ENTRIES = 128;

export class BoundedPaletteCache implements PaletteCache {
  private readonly entries = new Map<bigint, Palette>();
  private readonly budget: MemoryBudget | null;
  readonly maxEntries: number;

  constructor(o: { budget?: MemoryBudget; maxEntries?: number } = {}) {
    this.budget = o.budget ?? null;
    this.maxEntries = o.maxEntries ?? SERVER_PALETTE_CACHE_ENTRIES;
  }

  get(id: bigint): Palette | undefined {
    return this.entries.get(id);
  }

  put(p: Palette): void {
    this.remove(p.unique);
    this.budget?.charge('palette cache', p.entries.byteLength, () => `palette ${p.unique} of ${p.entries.length} entries`);
    this.entries.set(p.unique, p);
    while (this.entries.size > this.maxEntries) this.remove(this.entries.keys().next().value as bigint);
  }

  remove(id: bigint): void {
    const old = this.entries.get(id);
    if (!old) return;
    this.entries.delete(id);
    this.budget?.release('palette cache', old.entries.byteLength);
  }

  clear(): void {
    for (const id of [...this.entries.keys()]) this.remove(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
