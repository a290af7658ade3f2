// Files dropped on a page, copied into the guest through the agent. The page offers a file by
// name and size; the host queues it on the agent's file transfers (one file after another) and
// asks the page for its bytes only when the agent reads them, a window of credit ahead, so neither
// the page nor the host ever holds more than that window of a file however big it is. Every file
// ends with one result the page shows by the file's name: saved, or a sentence saying why not.
import type { FileHostMessage, FileUiMessage } from '../../protocol/bridge/file-messages.ts';
import { FileLimits } from '../../protocol/bridge/file-messages.ts';
import type { Emitter } from '../../protocol/emitter.ts';
import type { AgentEvents } from '../../protocol/channels/main/agent/agent.ts';
import { formatBytes, type AgentFileTransfers, type FileSource, type FileTransfer, type FileTransferError } from '../../protocol/channels/main/agent/file-transfer.ts';
import type { Logger } from '../../protocol/logger.ts';
import { DEFAULT_FILE_TRANSFER, type FileTransferPolicy } from '../../protocol/policy/kiosk-policy.ts';

/** Bytes the page may send ahead of what the agent has read: 16 agent reads. */
export const CREDIT_WINDOW_BYTES = 16 * FileLimits.maxChunkBytes;
/** Files queued or under way for one page; more offers are refused until some end. */
export const MAX_PAGE_FILES = 256;

/** What a page that offers a file under `--file-transfer none` is told. */
export const FILE_TRANSFER_OFF_MESSAGE = 'file transfer to the guest is turned off here (--file-transfer none)';

/** The part of the guest agent PageFiles uses (the Agent class, or a fake in tests). */
export interface FileAgent {
  readonly files: AgentFileTransfers;
  readonly events: Pick<Emitter<AgentEvents>, 'on'>;
}

interface PendingRead {
  offset: number;
  length: number;
  resolve: (data: Uint8Array) => void;
  reject: (e: Error) => void;
}

/** One file of the page, as the agent's FileSource: its bytes arrive from the page on demand. */
class PageFile implements FileSource {
  /** Bytes received from the page and not yet read by the agent, in order. */
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Offset of the next byte the page must send. */
  private received = 0;
  /** Offset of the next byte the agent reads. */
  private consumed = 0;
  private credit = 0;
  private pending: PendingRead | null = null;
  transfer: FileTransfer | null = null;
  /** Why the host ended it, when the page (not the agent) caused the end. */
  ended: { outcome: 'refused' | 'cancelled'; message: string } | null = null;

  constructor(
    readonly pageId: number,
    readonly name: string,
    readonly size: number,
    private readonly grant: (upTo: number) => void,
  ) {}

  read(offset: number, length: number): Promise<Uint8Array> {
    if (offset !== this.consumed) return Promise.reject(new Error(`the agent asked for offset ${offset}, but ${this.consumed} bytes were read`));
    return new Promise((resolve, reject) => {
      this.pending = { offset, length, resolve, reject };
      this.serve();
      this.extendCredit();
    });
  }

  /** Bytes from the page; a sentence when they break the rules (the file is then stopped). */
  data(offset: number, bytes: Uint8Array): string | null {
    if (offset !== this.received) return `the page sent bytes at offset ${offset}, but the next expected was ${this.received}`;
    if (offset + bytes.byteLength > this.credit) return `the page sent bytes up to ${offset + bytes.byteLength}, past the ${this.credit} it was allowed`;
    // Copied: the message's buffer belongs to the transport.
    this.chunks.push(bytes.slice());
    this.buffered += bytes.byteLength;
    this.received += bytes.byteLength;
    this.serve();
    return null;
  }

  private serve(): void {
    const p = this.pending;
    if (!p || this.buffered < p.length) return;
    const out = new Uint8Array(p.length);
    let filled = 0;
    while (filled < p.length) {
      const head = this.chunks[0];
      const take = Math.min(head.byteLength, p.length - filled);
      out.set(head.subarray(0, take), filled);
      filled += take;
      if (take === head.byteLength) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
    }
    this.buffered -= p.length;
    this.consumed += p.length;
    this.pending = null;
    p.resolve(out);
    this.extendCredit();
  }

  private extendCredit(): void {
    const upTo = Math.min(this.size, this.consumed + CREDIT_WINDOW_BYTES);
    if (upTo <= this.credit) return;
    this.credit = upTo;
    this.grant(upTo);
  }

  /** A read that waits for the page gives up (the transfer was cancelled or the agent left). */
  abandon(why: string): void {
    const p = this.pending;
    this.pending = null;
    this.chunks = [];
    this.buffered = 0;
    p?.reject(new Error(why));
  }
}

export class PageFiles {
  private agent: FileAgent | null = null;
  private readonly files = new Map<number, PageFile>();
  private offs: (() => void)[] = [];
  /** --file-transfer (or the kiosk policy): 'none' refuses every offer, whatever the page shows. */
  private policy: FileTransferPolicy = DEFAULT_FILE_TRANSFER;

  constructor(
    private readonly send: (m: FileHostMessage) => void,
    private readonly log: Logger,
  ) {}

  /** Files offered from now on go to this agent; files under way with the previous one end with it. */
  attach(agent: FileAgent): void {
    this.detach();
    this.agent = agent;
    this.offs = [
      agent.files.events.on('progress', ({ id, sent }) => {
        const file = this.byTransfer(id);
        if (file) this.send({ kind: 'file-progress', id: file.pageId, sent });
      }),
      agent.events.on('disconnected', ({ reason }) => {
        for (const file of this.files.values()) file.abandon(`the guest agent went away: ${reason}`);
      }),
    ];
  }

  /** The session ended: nothing is waited for any more. */
  detach(): void {
    for (const off of this.offs) off();
    this.offs = [];
    this.agent = null;
    for (const file of this.files.values()) file.abandon('the session ended');
  }

  /** The host's file transfer policy for this page's target. */
  setPolicy(policy: FileTransferPolicy): void {
    this.policy = policy;
  }

  /** Files queued or under way. */
  get count(): number {
    return this.files.size;
  }

  private byTransfer(transferId: number): PageFile | undefined {
    for (const file of this.files.values()) if (file.transfer?.id === transferId) return file;
    return undefined;
  }

  handle(m: Exclude<FileUiMessage, { kind: 'clipboard-image' }>): void {
    switch (m.kind) {
      case 'file-offer':
        this.offer(m.id, m.name, m.size);
        return;
      case 'file-data': {
        const file = this.files.get(m.id);
        // Bytes for a file that ended (cancelled while they were on their way) are dropped.
        if (!file || file.ended) return;
        const problem = file.data(m.offset, m.data);
        if (problem) this.stop(file, 'refused', `${problem}; the transfer was stopped`);
        return;
      }
      case 'file-cancel': {
        const file = this.files.get(m.id);
        if (!file || file.ended) return;
        this.stop(file, 'cancelled', 'cancelled');
        return;
      }
    }
  }

  private offer(id: number, name: string, size: number): void {
    const refuse = (message: string): void => {
      this.log.info({ name, size, why: message }, 'a file from the page was refused');
      this.send({ kind: 'file-result', id, outcome: 'refused', message });
    };
    if (this.policy === 'none') {
      this.log.warn({ name, size }, 'a file offer from the page refused: file transfer is off (--file-transfer none)');
      this.send({ kind: 'file-result', id, outcome: 'disabled', message: FILE_TRANSFER_OFF_MESSAGE });
      return;
    }
    if (this.files.has(id)) return refuse(`another file with id ${id} is still under way`);
    if (this.files.size >= MAX_PAGE_FILES) return refuse(`${MAX_PAGE_FILES} files are already queued; send more when some have finished`);
    const agent = this.agent;
    if (!agent) return refuse('the session is not connected');
    const file = new PageFile(id, name, size, (upTo) => this.send({ kind: 'file-credit', id, upTo }));
    this.files.set(id, file);
    this.log.info({ name, size }, 'file from the page queued for the guest');
    const transfer = agent.files.send(file);
    file.transfer = transfer;
    void transfer.done.then((error) => this.finish(file, error));
  }

  /** Ends a file for something the page did; the agent is told by the transfer's cancel. */
  private stop(file: PageFile, outcome: 'refused' | 'cancelled', message: string): void {
    const sent = file.transfer?.sent ?? 0;
    file.ended = { outcome, message: `${message} after ${sent} of ${file.size} bytes (${formatBytes(file.size)})` };
    file.transfer?.cancel();
    file.abandon(message);
  }

  private finish(file: PageFile, error: FileTransferError | null): void {
    if (this.files.get(file.pageId) !== file) return;
    this.files.delete(file.pageId);
    file.abandon('the transfer ended');
    if (!error) {
      this.log.info({ name: file.name, size: file.size }, 'file from the page saved in the guest');
      this.send({ kind: 'file-progress', id: file.pageId, sent: file.size });
      this.send({ kind: 'file-result', id: file.pageId, outcome: 'saved', message: `saved in the guest (${formatBytes(file.size)})` });
      return;
    }
    const outcome = file.ended?.outcome ?? error.failure;
    const message = file.ended?.message ?? error.reason;
    this.log.info({ name: file.name, outcome, why: message }, 'file from the page not saved');
    this.send({ kind: 'file-result', id: file.pageId, outcome, message });
  }
}
