// Files copied into the guest through the agent: FILE_XFER_START names the file, the agent
// answers CAN_SEND_DATA (or why not), FILE_XFER_DATA carries the bytes, and the agent's final
// FILE_XFER_STATUS says whether the file was saved. Files go one after another; each ends either
// saved or failed with a sentence naming it and saying why, so nothing is half-sent silently.
import { Emitter } from '../../../emitter.ts';
import {
  AgentCap,
  AgentMsg,
  buildFileXferData,
  buildFileXferStart,
  buildFileXferStatus,
  FILE_XFER_ERROR_GLIB_IO,
  FileXferStatus,
  parseFileXferStatus,
  type FileXferStatusMessage,
} from './agent-messages.ts';
import type { AgentLink } from './agent-transport.ts';

/** A file to send: its name in the guest, its size, and a reader (injected by the host). */
export interface FileSource {
  name: string;
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** spice-gtk's read size: 32 agent chunks per FILE_XFER_DATA. */
export const FILE_XFER_DATA_SIZE = 64 * 1024;

export type FileTransferFailure = 'disabled' | 'no-space' | 'locked' | 'no-session-agent' | 'agent-error' | 'agent-cancelled' | 'agent-gone' | 'cancelled' | 'read-error' | 'unknown-status';

export class FileTransferError extends Error {
  constructor(
    readonly fileName: string,
    readonly failure: FileTransferFailure,
    /** Why, without the file's name: "the agent has file transfer disabled". */
    readonly reason: string,
  ) {
    super(`${fileName}: ${reason}`);
    this.name = 'FileTransferError';
  }
}

export type FileTransferState = 'queued' | 'waiting-for-agent' | 'sending' | 'finishing' | 'done' | 'failed';

export interface FileTransferProgress {
  id: number;
  name: string;
  sent: number;
  size: number;
}

export type FileTransferEvents = {
  progress: FileTransferProgress;
  finished: { id: number; name: string; error?: FileTransferError };
};

/** "1.5 MB": decimal units, as file managers show them. */
export function formatBytes(n: number | bigint): string {
  const v = Number(n);
  if (v < 1000) return `${v} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let x = v;
  let u = -1;
  while (x >= 1000 && u < units.length - 1) {
    x /= 1000;
    u++;
  }
  return `${x.toFixed(x < 10 ? 1 : 0)} ${units[u]}`;
}

/** GIO error numbers the agent reports (GIOErrorEnum) that a person can act on. */
const gioErrors: Record<number, string> = {
  1: 'a folder it needs does not exist',
  2: 'a file of that name already exists',
  9: 'the file name is too long for the guest',
  10: 'the file name is not valid in the guest',
  12: 'the guest disk is full',
  14: 'the guest agent may not write to its download folder',
};

/** The sentence for a final FILE_XFER_STATUS (any result but CAN_SEND_DATA and SUCCESS). */
export function describeFileXferStatus(status: FileXferStatusMessage, size: number): { failure: FileTransferFailure; reason: string } {
  switch (status.result) {
    case FileXferStatus.CANCELLED:
      return { failure: 'agent-cancelled', reason: 'the guest agent cancelled the transfer' };
    case FileXferStatus.ERROR: {
      const d = status.detail;
      const known = d?.kind === 'error' && d.errorType === FILE_XFER_ERROR_GLIB_IO ? gioErrors[d.errorCode] : undefined;
      const code = d?.kind === 'error' ? ` (error type ${d.errorType}, code ${d.errorCode})` : '';
      return { failure: 'agent-error', reason: known ? `the guest agent could not save it: ${known}` : `the guest agent could not save it${code}` };
    }
    case FileXferStatus.NOT_ENOUGH_SPACE: {
      const d = status.detail;
      const free = d?.kind === 'not-enough-space' ? `: ${d.freeBytes} bytes free (${formatBytes(d.freeBytes)}), ${size} bytes needed` : `: ${size} bytes needed`;
      return { failure: 'no-space', reason: `not enough space on the guest${free}` };
    }
    case FileXferStatus.SESSION_LOCKED:
      return { failure: 'locked', reason: "the guest's session is locked: unlock it and send the file again" };
    case FileXferStatus.VDAGENT_NOT_CONNECTED:
      return { failure: 'no-session-agent', reason: 'no user is logged in to the guest with a session agent (spice-vdagent) to receive it' };
    case FileXferStatus.DISABLED:
      return { failure: 'disabled', reason: 'the agent has file transfer disabled' };
    default:
      return { failure: 'unknown-status', reason: `the guest agent answered with an unknown status ${status.result}` };
  }
}

export class FileTransfer {
  state: FileTransferState = 'queued';
  sent = 0;
  /** Settles when the file is saved in the guest or has failed; never rejects. */
  readonly done: Promise<FileTransferError | null>;
  private settle!: (error: FileTransferError | null) => void;
  /** Resolves with the agent's answer while the transfer waits for one. */
  waiter: ((status: FileXferStatusMessage | FileTransferError) => void) | null = null;
  /** Set when the transfer must stop at the next step. */
  abort: FileTransferError | null = null;
  /** A final answer that came while nothing waited for one (the agent gave up mid-way). */
  early: FileXferStatusMessage | null = null;

  constructor(
    readonly id: number,
    readonly source: FileSource,
    private readonly owner: AgentFileTransfers,
  ) {
    this.done = new Promise((resolve) => (this.settle = resolve));
  }

  get name(): string {
    return this.source.name;
  }

  get size(): number {
    return this.source.size;
  }

  /** Stops this file: the agent is told, and `done` ends with a "cancelled" error. */
  cancel(): void {
    this.owner.cancel(this);
  }

  finish(error: FileTransferError | null): void {
    if (this.state === 'done' || this.state === 'failed') return;
    this.state = error ? 'failed' : 'done';
    this.settle(error);
  }
}

export class AgentFileTransfers {
  readonly events = new Emitter<FileTransferEvents>();
  private readonly queue: FileTransfer[] = [];
  private active: FileTransfer | null = null;
  private nextId = 1;

  constructor(private readonly link: AgentLink) {}

  /** Files queued or in progress. */
  get pending(): readonly FileTransfer[] {
    return this.active ? [this.active, ...this.queue] : [...this.queue];
  }

  /** Queues a file; it starts when the files before it ended. */
  send(source: FileSource): FileTransfer {
    const t = new FileTransfer(this.nextId++, source, this);
    this.queue.push(t);
    void this.pump();
    return t;
  }

  cancel(t: FileTransfer): void {
    if (t.state === 'done' || t.state === 'failed') return;
    const error = new FileTransferError(t.name, 'cancelled', `cancelled after ${t.sent} of ${t.size} bytes`);
    const index = this.queue.indexOf(t);
    if (index >= 0) {
      this.queue.splice(index, 1);
      this.end(t, error);
      return;
    }
    t.abort = error;
    if (t.waiter) t.waiter(error);
  }

  /** The agent left or the channel closed: every file not yet saved fails, by name. */
  reset(why: string): void {
    const all = [...(this.active ? [this.active] : []), ...this.queue.splice(0)];
    for (const t of all) {
      const error = new FileTransferError(t.name, 'agent-gone', `${why}; ${t.sent} of ${t.size} bytes had been sent and the guest may hold a partial file`);
      if (t === this.active) {
        t.abort = error;
        if (t.waiter) t.waiter(error);
      } else this.end(t, error);
    }
  }

  handleStatus(body: Uint8Array): void {
    const status = parseFileXferStatus(body);
    const t = this.active;
    if (!t || t.id !== status.id) {
      this.link.log.warn({ id: status.id, result: status.result }, 'file transfer status for a transfer that is not running');
      return;
    }
    if (t.waiter) t.waiter(status);
    else if (status.result !== FileXferStatus.CAN_SEND_DATA) t.early = status;
  }

  private end(t: FileTransfer, error: FileTransferError | null): void {
    t.finish(error);
    this.events.emit('finished', error ? { id: t.id, name: t.name, error } : { id: t.id, name: t.name });
  }

  private async pump(): Promise<void> {
    if (this.active) return;
    for (let t = this.queue.shift(); t; t = this.queue.shift()) {
      this.active = t;
      const error = await this.run(t);
      this.active = null;
      this.end(t, error);
    }
  }

  private answer(t: FileTransfer): Promise<FileXferStatusMessage | FileTransferError> {
    if (t.abort) return Promise.resolve(t.abort);
    if (t.early) return Promise.resolve(t.early);
    return new Promise((resolve) => {
      t.waiter = (s) => {
        t.waiter = null;
        resolve(s);
      };
    });
  }

  /** Tells the agent to drop the transfer, unless the agent itself ended it. */
  private tellAgent(t: FileTransfer, error: FileTransferError): void {
    // Every other failure came from the agent, which has dropped the transfer already.
    if (!this.link.connected || (error.failure !== 'cancelled' && error.failure !== 'read-error')) return;
    const result = error.failure === 'cancelled' ? FileXferStatus.CANCELLED : FileXferStatus.ERROR;
    this.link.send(AgentMsg.FILE_XFER_STATUS, buildFileXferStatus({ id: t.id, result })).catch(() => {});
  }

  private async run(t: FileTransfer): Promise<FileTransferError | null> {
    const caps = this.link.peerCaps;
    if (!this.link.connected || !caps) return new FileTransferError(t.name, 'agent-gone', 'no guest agent is connected');
    if (caps.has(AgentCap.FILE_XFER_DISABLED)) return new FileTransferError(t.name, 'disabled', 'the agent has file transfer disabled');
    t.state = 'waiting-for-agent';
    this.link.send(AgentMsg.FILE_XFER_START, buildFileXferStart({ id: t.id, name: t.name, size: t.size })).catch(() => {});
    const first = await this.answer(t);
    if (first instanceof FileTransferError) {
      this.tellAgent(t, first);
      return first;
    }
    if (first.result !== FileXferStatus.CAN_SEND_DATA) {
      if (first.result === FileXferStatus.SUCCESS && t.size === 0) return null;
      const { failure, reason } = describeFileXferStatus(first, t.size);
      return new FileTransferError(t.name, failure, reason);
    }
    t.state = 'sending';
    let previous: Promise<void> = Promise.resolve();
    // An empty file still gets one empty FILE_XFER_DATA: that is what makes the agent close it.
    for (let offset = 0; offset < t.size || (t.size === 0 && offset === 0); ) {
      const length = Math.min(FILE_XFER_DATA_SIZE, t.size - offset);
      let data: Uint8Array;
      try {
        data = length === 0 ? new Uint8Array(0) : await t.source.read(offset, length);
        if (data.byteLength !== length) throw new Error(`the file is now shorter than the ${t.size} bytes it had`);
      } catch (e) {
        // A source that waits for its bytes (a page's upload) gives up when the transfer is
        // cancelled or the agent left: the reason is that, not the read.
        if (t.abort) {
          this.tellAgent(t, t.abort);
          return t.abort;
        }
        const error = new FileTransferError(t.name, 'read-error', `reading it failed after ${offset} bytes: ${(e as Error).message}`);
        this.tellAgent(t, error);
        return error;
      }
      await previous.catch(() => {});
      if (t.abort) {
        this.tellAgent(t, t.abort);
        return t.abort;
      }
      if (t.early) {
        // The agent stopped the transfer mid-way (e.g. its disk filled up).
        const { failure, reason } = describeFileXferStatus(t.early, t.size);
        return new FileTransferError(t.name, failure, `${reason} (after ${t.sent} of ${t.size} bytes)`);
      }
      previous = this.link.send(AgentMsg.FILE_XFER_DATA, buildFileXferData(t.id, data));
      offset += length;
      const sentSoFar = offset;
      void previous.then(() => {
        t.sent = sentSoFar;
        this.events.emit('progress', { id: t.id, name: t.name, sent: sentSoFar, size: t.size });
      }, () => {});
      if (length === 0) break;
    }
    await previous.catch(() => {});
    t.state = 'finishing';
    const last = await this.answer(t);
    if (last instanceof FileTransferError) {
      this.tellAgent(t, last);
      return last;
    }
    if (last.result === FileXferStatus.SUCCESS) return null;
    const { failure, reason } = describeFileXferStatus(last, t.size);
    return new FileTransferError(t.name, failure, reason);
  }
}
