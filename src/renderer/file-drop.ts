// Files dropped on the guest's screen go to the guest agent's download folder. Each file is
// offered to the host by name and size; its bytes are read from the File in slices of one chunk
// and sent only as far as the host's credit allows, so a file of any size never sits in the
// page's memory. The host's progress and result messages drive the transfer list.
import type { UiMessage } from '../protocol/bridge/bridge-messages.ts';
import { FileLimits, fileNameProblem, type FileHostMessage, type FileOutcome } from '../protocol/bridge/file-messages.ts';
import { TransferList } from './transfer-list.ts';

interface Outgoing {
  id: number;
  file: File;
  /** Next byte to send. */
  offset: number;
  /** The host allows bytes below this offset. */
  credit: number;
  reading: boolean;
  done: boolean;
}

/** The first words of a row's final message; the host's sentence says why. */
const outcomeTitles: Record<FileOutcome, string> = {
  saved: 'Saved',
  refused: 'Not sent',
  disabled: 'Not sent',
  'no-space': 'Not sent',
  locked: 'Not sent',
  'no-session-agent': 'Not sent',
  'agent-error': 'Failed in the guest',
  'agent-cancelled': 'Cancelled by the guest',
  'agent-gone': 'Failed',
  cancelled: 'Cancelled',
  'read-error': 'Failed',
  'unknown-status': 'Failed',
};

export class FileDrop {
  private readonly files = new Map<number, Outgoing>();
  /** Files the page itself gave up on (unreadable): the host's later "cancelled" is not shown over it. */
  private readonly endedHere = new Set<number>();
  private nextId = 1;
  /** Why files cannot be sent at all (the host's --file-transfer none), or null when they can. */
  private off: string | null = null;
  readonly list: TransferList;
  readonly stats = { offered: 0, saved: 0, failed: 0, bytesSent: 0 };

  constructor(
    private readonly target: HTMLElement,
    listElement: HTMLElement,
    private readonly send: (m: UiMessage) => void,
    /** Whether a session is connected: drops before that are refused on the page. */
    private readonly connected: () => boolean,
  ) {
    this.list = new TransferList(listElement, (id) => this.cancel(id));
    target.addEventListener('dragover', (e) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      // Taken even when files are off: a file dropped and not taken would replace the page.
      e.preventDefault();
      e.dataTransfer.dropEffect = this.off === null ? 'copy' : 'none';
      target.classList.toggle('drop-target', this.off === null);
    });
    target.addEventListener('dragleave', () => target.classList.remove('drop-target'));
    target.addEventListener('drop', (e) => {
      target.classList.remove('drop-target');
      if (!e.dataTransfer || e.dataTransfer.files.length === 0) return;
      e.preventDefault();
      this.drop(e.dataTransfer);
    });
  }

  /**
   * The host's file transfer policy: with 'none' the view is no drop target, and a file dropped
   * anyway gets a row saying why instead of an offer (the host would refuse it too).
   */
  setPolicy(fileTransfer: 'none' | 'to-guest'): void {
    this.off = fileTransfer === 'none' ? 'file transfer to the guest is turned off here (--file-transfer none)' : null;
    this.target.title = this.off === null ? '' : `Files cannot be dropped here: ${this.off}`;
  }

  /** Whether files can be dropped for the guest. */
  get allowed(): boolean {
    return this.off === null;
  }

  /** Offers every file of a drop; folders are reported, not sent. */
  drop(data: DataTransfer): void {
    const items = [...data.items];
    [...data.files].forEach((file, i) => {
      const entry = items[i]?.webkitGetAsEntry?.();
      this.offer(file, entry?.isDirectory === true);
    });
  }

  private offer(file: File, isFolder: boolean): void {
    const id = this.nextId++;
    this.list.add(id, file.name, file.size);
    const problem = this.off
      ? this.off
      : isFolder
      ? 'folders cannot be sent; drop the files in it'
      : !this.connected()
        ? 'the session is not connected'
        : fileNameProblem(file.name);
    if (problem) {
      this.stats.failed++;
      this.list.finish(id, false, `${outcomeTitles.refused}: ${problem}`);
      return;
    }
    this.files.set(id, { id, file, offset: 0, credit: 0, reading: false, done: false });
    this.stats.offered++;
    this.send({ kind: 'file-offer', id, name: file.name, size: file.size });
  }

  cancel(id: number): void {
    const f = this.files.get(id);
    if (!f || f.done) return;
    this.list.cancelling(id);
    this.send({ kind: 'file-cancel', id });
  }

  /** Takes the host's file messages; false for the others. */
  onHostMessage(m: FileHostMessage): boolean {
    switch (m.kind) {
      case 'file-credit': {
        const f = this.files.get(m.id);
        if (!f || f.done) return true;
        f.credit = Math.max(f.credit, Math.min(m.upTo, f.file.size));
        void this.pump(f);
        return true;
      }
      case 'file-progress':
        this.stats.bytesSent = Math.max(this.stats.bytesSent, m.sent);
        this.list.progress(m.id, m.sent);
        return true;
      case 'file-result': {
        if (this.endedHere.delete(m.id)) return true;
        const f = this.files.get(m.id);
        if (f) f.done = true;
        this.files.delete(m.id);
        const ok = m.outcome === 'saved';
        if (ok) this.stats.saved++;
        else this.stats.failed++;
        this.list.finish(m.id, ok, ok ? `${outcomeTitles.saved}: ${m.message}` : `${outcomeTitles[m.outcome]}: ${m.message}`);
        return true;
      }
      default:
        return false;
    }
  }

  /** The session ended: files under way are over, and say so. */
  onClosed(): void {
    for (const f of this.files.values()) {
      f.done = true;
      this.stats.failed++;
      this.list.finish(f.id, false, `Failed: the connection ended after ${f.offset} of ${f.file.size} bytes had been read; the guest may hold a partial file`);
    }
    this.files.clear();
  }

  /** Sends what the credit allows, one slice at a time (the next is read when one is sent). */
  private async pump(f: Outgoing): Promise<void> {
    if (f.reading) return;
    f.reading = true;
    try {
      while (!f.done && f.offset < f.credit) {
        const end = Math.min(f.credit, f.offset + FileLimits.maxChunkBytes);
        const data = new Uint8Array(await f.file.slice(f.offset, end).arrayBuffer());
        if (f.done) return;
        if (data.byteLength !== end - f.offset) throw new Error(`the file changed while it was being read (${data.byteLength} bytes where ${end - f.offset} were expected)`);
        this.send({ kind: 'file-data', id: f.id, offset: f.offset, data });
        f.offset = end;
      }
    } catch (e) {
      // The host learns it by the cancel, the user by the row.
      f.done = true;
      this.files.delete(f.id);
      this.endedHere.add(f.id);
      this.send({ kind: 'file-cancel', id: f.id });
      this.stats.failed++;
      this.list.finish(f.id, false, `Failed: the file could not be read: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      f.reading = false;
    }
  }
}
