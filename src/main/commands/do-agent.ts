// The `spicedesk do` actions that go through the guest agent: clip-set, clip-get, resize and
// send. They wait for the agent's capabilities first, bounded by the command's timeout.
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Agent } from '../../protocol/channels/main/agent/agent.ts';
import { AgentCap, AgentMsg, ClipboardSelection, ClipboardType } from '../../protocol/channels/main/agent/agent-messages.ts';
import { clipboardMimeTypes } from '../../protocol/channels/main/agent/clipboard.ts';
import { formatBytes, type FileSource, type FileTransfer } from '../../protocol/channels/main/agent/file-transfer.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { Session } from '../../protocol/session/session.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import type { Deadline } from '../node/deadline.ts';

export interface HeadSize {
  width: number;
  height: number;
}

/** How long clip-get waits for the guest to say what its clipboard holds. */
const GUEST_GRAB_WAIT_MS = 1500;
/** How long resize waits for the agent to acknowledge the layout (agents with the REPLY cap). */
const RESIZE_REPLY_WAIT_MS = 3000;
/** Progress lines for one file at most this often. */
const PROGRESS_EVERY_MS = 500;

export interface AgentActionOutput {
  /** The guest's clipboard text (stdout). */
  out: (text: string) => void;
  /** Progress and per-file failures (stderr), one line each. */
  progress: (line: string) => void;
}

/** `WxH[,WxH...]`, e.g. 1280x720 or 1024x768,800x600. Throws a usage error naming the bad part. */
export function parseHeadSizes(value: string): HeadSize[] {
  const parts = value.split(',');
  if (parts.length > 4) throw new SpiceError('usage', `resize takes at most 4 heads, got ${parts.length} in "${value}"`);
  return parts.map((part, i) => {
    const m = /^(\d{1,5})x(\d{1,5})$/.exec(part);
    const width = m ? Number(m[1]) : 0;
    const height = m ? Number(m[2]) : 0;
    if (!m || width < 1 || height < 1 || width > 16384 || height > 16384) {
      throw new SpiceError('usage', `resize: head ${i} "${part}" must be WIDTHxHEIGHT with each from 1 to 16384, e.g. 1280x720`);
    }
    return { width, height };
  });
}

/** Every file readable and regular, checked before connecting. */
export async function checkFilesToSend(files: string[]): Promise<void> {
  for (const file of files) {
    let info;
    try {
      info = await stat(file);
    } catch (e) {
      throw new SpiceError('usage', `send: cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    if (!info.isFile()) throw new SpiceError('usage', `send: ${file} is not a regular file (folders cannot be sent; send the files in it)`);
  }
}

export class AgentActions {
  constructor(
    private readonly session: Session,
    private readonly where: string,
    private readonly deadline: Deadline,
    private readonly timeoutMs: number,
    private readonly output: AgentActionOutput,
    private readonly logger: Logger,
  ) {}

  private get agent(): Agent {
    return this.session.main.agent;
  }

  /** The agent with its capabilities, or a timeout error that says what is missing. */
  private async ready(): Promise<Agent> {
    const agent = this.agent;
    if (agent.connected && agent.peerCaps) return agent;
    const why = this.session.main.info.agentConnected
      ? 'the guest agent did not announce its capabilities'
      : 'no guest agent is connected (clipboard, resize and send need spice-vdagent running in the guest)';
    const wait = Math.max(this.deadline.at - Date.now(), Math.min(this.timeoutMs, 3000));
    await withTimeout(agent.whenReady(), wait, () => new SpiceError('timeout', `${this.where}: ${why}`));
    return agent;
  }

  async clipSet(text: string): Promise<void> {
    const agent = await this.ready();
    await agent.clipboard.setText(text, ClipboardSelection.CLIPBOARD);
    this.logger.info({ bytes: text.length }, 'clipboard offered to the guest');
  }

  /** Prints the guest's clipboard text; returns why not when it holds none. */
  async clipGet(): Promise<string | null> {
    const agent = await this.ready();
    const clipboard = agent.clipboard;
    if (!clipboard.guestTypes(ClipboardSelection.CLIPBOARD)) {
      // The guest tells what it holds with a grab, which may come just after the capabilities.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, GUEST_GRAB_WAIT_MS);
        const off = clipboard.events.on('guest-grab', ({ selection }) => selection === ClipboardSelection.CLIPBOARD && done());
        function done(): void {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    }
    const types = clipboard.guestTypes(ClipboardSelection.CLIPBOARD);
    if (types && !types.includes(ClipboardType.UTF8_TEXT)) {
      const held = types.map((t) => clipboardMimeTypes[t] ?? `type ${t}`).join(', ');
      return `clip-get: the guest's clipboard holds no text (it holds ${held || 'nothing'})`;
    }
    let text: string;
    try {
      // Without a grab, ask anyway: contents copied before this connection are not announced.
      text = await this.bounded(clipboard.requestText(ClipboardSelection.CLIPBOARD, { unannounced: !types }), 'the guest did not send its clipboard');
    } catch (e) {
      if (!(e instanceof SpiceError) || e.kind !== 'protocol' || !agent.connected) throw e;
      return types ? `clip-get: ${e.message}` : `clip-get: the guest's clipboard is empty`;
    }
    this.output.out(text);
    return null;
  }

  async resize(heads: HeadSize[]): Promise<void> {
    const agent = await this.ready();
    const replied = new Promise<void>((resolve) => {
      const timer = setTimeout(done, agent.peerCaps?.has(AgentCap.REPLY) ? RESIZE_REPLY_WAIT_MS : 0);
      const off = agent.events.on('reply', (r) => r.type === AgentMsg.MONITORS_CONFIG && done());
      function done(): void {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
    await agent.monitors.configure(heads);
    await replied;
  }

  /** Sends the files one after another; returns the failures, one line each, by file name. */
  async send(files: string[]): Promise<string[]> {
    const agent = await this.ready();
    const failures: string[] = [];
    for (const file of files) {
      const error = await this.sendOne(agent, file);
      if (error) {
        failures.push(`send ${file} failed: ${error}`);
        this.output.progress(`spicedesk: send ${file} failed: ${error}`);
      }
    }
    return failures;
  }

  private async sendOne(agent: Agent, file: string): Promise<string | null> {
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (e) {
      return `cannot open it: ${(e as Error).message}`;
    }
    try {
      const size = (await handle.stat()).size;
      const fh = handle;
      const source: FileSource = {
        name: basename(file),
        size,
        async read(offset, length) {
          const buffer = new Uint8Array(length);
          const { bytesRead } = await fh.read(buffer, 0, length, offset);
          return buffer.subarray(0, bytesRead);
        },
      };
      const transfer = agent.files.send(source);
      const error = await this.watch(agent, transfer, file);
      return error;
    } finally {
      await handle.close().catch(() => {});
    }
  }

  /** Progress lines while the file goes, and a stall guard: no answer within the timeout cancels it. */
  private async watch(agent: Agent, transfer: FileTransfer, file: string): Promise<string | null> {
    let lastPrint = 0;
    let lastActivity = Date.now();
    let stalled = false;
    const offProgress = agent.files.events.on('progress', (p) => {
      if (p.id !== transfer.id) return;
      lastActivity = Date.now();
      if (lastActivity - lastPrint >= PROGRESS_EVERY_MS && p.sent < p.size) {
        lastPrint = lastActivity;
        this.output.progress(`spicedesk: send ${file}: ${Math.floor((100 * p.sent) / p.size)}% (${formatBytes(p.sent)} of ${formatBytes(p.size)})`);
      }
    });
    const guard = setInterval(() => {
      if (Date.now() - lastActivity > this.timeoutMs) {
        stalled = true;
        transfer.cancel();
      }
    }, 250);
    try {
      const error = await transfer.done;
      if (stalled && error) return `no answer from the guest agent within ${Math.round(this.timeoutMs / 1000)} s (${transfer.sent} of ${transfer.size} bytes sent; the transfer was cancelled)`;
      if (error) return error.reason;
      this.output.progress(`spicedesk: sent ${file} (${transfer.size} bytes)`);
      return null;
    } finally {
      offProgress();
      clearInterval(guard);
    }
  }

  private bounded<T>(p: Promise<T>, what: string): Promise<T> {
    const ms = Math.max(this.deadline.at - Date.now(), this.timeoutMs);
    return withTimeout(p, ms, () => new SpiceError('timeout', `${what} within ${Math.round(ms / 1000)} s`));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
