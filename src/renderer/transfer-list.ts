// The page's list of files sent to the guest: one row per file with its name, a progress bar,
// a cancel button while it is under way, and its final message. Finished rows stay until the
// user closes them, so a failure is never missed.

export type RowState = 'queued' | 'sending' | 'saved' | 'failed';

export interface TransferRow {
  id: number;
  name: string;
  size: number;
  sent: number;
  state: RowState;
  message: string;
}

function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let x = n;
  let u = -1;
  while (x >= 1000 && u < units.length - 1) {
    x /= 1000;
    u++;
  }
  return `${x.toFixed(x < 10 ? 1 : 0)} ${units[u]}`;
}

export class TransferList {
  private readonly rows = new Map<number, { data: TransferRow; element: HTMLElement }>();

  constructor(
    private readonly container: HTMLElement,
    private readonly onCancel: (id: number) => void,
  ) {}

  add(id: number, name: string, size: number, state: RowState = 'queued', message = 'waiting for the guest agent…'): void {
    const element = document.createElement('li');
    element.className = 'transfer';
    element.dataset.id = String(id);
    element.innerHTML = '<span class="name"></span> <span class="size"></span><progress max="1" value="0"></progress><span class="message" role="status"></span><button type="button" class="cancel" title="Stop sending this file">Cancel</button><button type="button" class="close" title="Remove from the list" hidden>×</button>';
    element.querySelector('.name')!.textContent = name;
    element.querySelector('.size')!.textContent = `(${formatBytes(size)})`;
    element.querySelector<HTMLButtonElement>('.cancel')!.addEventListener('click', () => this.onCancel(id));
    element.querySelector<HTMLButtonElement>('.close')!.addEventListener('click', () => this.remove(id));
    this.container.append(element);
    this.container.hidden = false;
    this.rows.set(id, { data: { id, name, size, sent: 0, state, message }, element });
    this.render(id);
  }

  progress(id: number, sent: number): void {
    const row = this.rows.get(id);
    if (!row || row.data.state === 'saved' || row.data.state === 'failed') return;
    row.data.sent = Math.min(sent, row.data.size);
    row.data.state = 'sending';
    const percent = row.data.size === 0 ? 100 : Math.floor((100 * row.data.sent) / row.data.size);
    row.data.message = `${percent}%`;
    this.render(id);
  }

  cancelling(id: number): void {
    const row = this.rows.get(id);
    if (!row || row.data.state === 'saved' || row.data.state === 'failed') return;
    row.data.message = 'cancelling…';
    this.render(id);
  }

  finish(id: number, ok: boolean, message: string): void {
    const row = this.rows.get(id);
    if (!row) return;
    row.data.state = ok ? 'saved' : 'failed';
    if (ok) row.data.sent = row.data.size;
    row.data.message = message;
    this.render(id);
  }

  /** Rows under way (not saved or failed). */
  get active(): number {
    let n = 0;
    for (const r of this.rows.values()) if (r.data.state === 'queued' || r.data.state === 'sending') n++;
    return n;
  }

  snapshot(): TransferRow[] {
    return [...this.rows.values()].map((r) => ({ ...r.data }));
  }

  private remove(id: number): void {
    this.rows.get(id)?.element.remove();
    this.rows.delete(id);
    if (this.rows.size === 0) this.container.hidden = true;
  }

  private render(id: number): void {
    const row = this.rows.get(id);
    if (!row) return;
    const { data, element } = row;
    element.dataset.state = data.state;
    const bar = element.querySelector('progress')!;
    bar.value = data.size === 0 ? (data.state === 'saved' ? 1 : 0) : data.sent / data.size;
    element.querySelector('.message')!.textContent = data.message;
    const done = data.state === 'saved' || data.state === 'failed';
    element.querySelector<HTMLButtonElement>('.cancel')!.hidden = done;
    element.querySelector<HTMLButtonElement>('.close')!.hidden = !done;
  }
}
