// The memory a host holds for its pages, bounded for each page and for all of them together: what
// is queued for a browser that does not read (the transport's backlog), and clipboard images on
// their way from a page. Without a total, 16 pages that each stayed under their own bound once held
// 569 MB. The gateway shares one budget between its pages; an Electron window has its own.

const MiB = 1024 * 1024;

export interface PageBudgetLimits {
  /** Bytes queued for one page that it has not read; past it the page is closed. */
  backlogPerPage: number;
  /** Bytes queued for every page together; past it the page being sent to, if it is behind, is closed. */
  backlogTotal: number;
  /** Clipboard images from pages, being received, together. */
  imagesTotal: number;
}

export const DEFAULT_PAGE_BUDGET: PageBudgetLimits = {
  backlogPerPage: 64 * MiB,
  backlogTotal: 192 * MiB,
  imagesTotal: 64 * MiB,
};

/** A page with less than this queued is never the one closed for the total (and costs no sum). */
export const BEHIND_BYTES = 1 * MiB;

const mib = (n: number): string => `${(n / MiB).toFixed(n < 10 * MiB ? 1 : 0)} MiB`;

export class PageBudget {
  private readonly backlogs = new Set<() => number>();
  private imageBytes = 0;

  constructor(readonly limits: PageBudgetLimits = DEFAULT_PAGE_BUDGET) {}

  /** A page's backlog counts from now on; the function returned takes it out. */
  addPage(backlog: () => number): () => void {
    const entry = (): number => backlog();
    this.backlogs.add(entry);
    return () => this.backlogs.delete(entry);
  }

  /** What every page has queued now. */
  backlogTotal(): number {
    let total = 0;
    for (const backlog of this.backlogs) total += backlog();
    return total;
  }

  /** The sentence for a page that must be closed for its backlog (`own` bytes), or null. */
  backlogProblem(own: number): string | null {
    const { backlogPerPage, backlogTotal } = this.limits;
    if (own > backlogPerPage) return `the browser is not keeping up with the display (${mib(own)} queued for this page, at most ${mib(backlogPerPage)}); closing this page`;
    if (own <= BEHIND_BYTES) return null;
    const total = this.backlogTotal();
    if (total > backlogTotal) return `the gateway's pages together are too far behind (${mib(total)} queued, at most ${mib(backlogTotal)}); closing this page, which is ${mib(own)} behind`;
    return null;
  }

  /** Room for a clipboard image of `bytes` from a page; false when the pages' images would pass the total. */
  reserveImage(bytes: number): boolean {
    if (this.imageBytes + bytes > this.limits.imagesTotal) return false;
    this.imageBytes += bytes;
    return true;
  }

  releaseImage(bytes: number): void {
    this.imageBytes = Math.max(0, this.imageBytes - bytes);
  }

  /** Clipboard image bytes reserved now. */
  get imagesHeld(): number {
    return this.imageBytes;
  }
}
