// The `do` actions that go through the guest agent (spice-vdagent in the guest): clip-set,
// clip-get, resize and send. Each waits for the agent's capabilities first, bounded by the
// command's timeout (script-connection.ts).
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Agent } from '../../../protocol/channels/main/agent/agent.ts';
import { AgentCap, AgentMsg, ClipboardSelection, ClipboardType } from '../../../protocol/channels/main/agent/agent-messages.ts';
import { clipboardMimeTypes } from '../../../protocol/channels/main/agent/clipboard.ts';
import { formatBytes, type FileSource, type FileTransfer } from '../../../protocol/channels/main/agent/file-transfer.ts';
import { SpiceError } from '../../../protocol/wire/errors.ts';
import { ExitCode } from '../../node/exit-codes.ts';
import { defineAction, usage, type ActionFailure, type DoActionDefinition, type ScriptAgent } from './action.ts';

export interface HeadSize {
  width: number;
  height: number;
}

/** How long clip-get waits for the guest to say what its clipboard holds. */
const GUEST_GRAB_WAIT_MS = 1500;
/** How often clip-get asks when the guest copies again while its contents are on the way. */
const CLIP_GET_ATTEMPTS = 5;
/** How long resize waits for the agent to acknowledge the layout (agents with the REPLY cap). */
const RESIZE_REPLY_WAIT_MS = 3000;
/** Progress lines for one file at most this often. */
const PROGRESS_EVERY_MS = 500;

const failed = (message: string): ActionFailure => ({ code: ExitCode.AGENT_ACTION_FAILED, message });

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
export async function checkFilesToSend(files: readonly string[]): Promise<void> {
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

export const agentActions: readonly DoActionDefinition<unknown>[] = [
  defineAction<{ text: string }>({
    name: 'clip-set',
    synopsis: 'clip-set TEXT',
    help: "put TEXT on the guest's clipboard; the guest can paste it while the\nconnection lasts, so follow it with wait",
    needs: ['agent'],
    repeatable: true,
    parse: (words) => ({ text: words.take('the TEXT to put on the guest clipboard') }),
    async run({ text }, script) {
      const agent = await script.agent.ready();
      await agent.clipboard.setText(text, ClipboardSelection.CLIPBOARD);
      script.logger.info({ bytes: text.length }, 'clipboard offered to the guest');
      return null;
    },
  }),
  defineAction<Record<string, never>>({
    name: 'clip-get',
    synopsis: 'clip-get',
    help: "print the text on the guest's clipboard (exits 9 when it holds none)",
    needs: ['agent'],
    repeatable: true,
    parse: () => ({}),
    async run(_args, script) {
      const why = await clipGet(script.agent);
      return why === null ? null : failed(why);
    },
  }),
  defineAction<{ heads: HeadSize[] }>({
    name: 'resize',
    synopsis: 'resize WxH[,WxH...]',
    help: "set the guest's resolution, one size per head, heads side by side",
    needs: ['agent'],
    repeatable: true,
    parse(words) {
      try {
        return { heads: parseHeadSizes(words.take('a size per head: WxH[,WxH...], e.g. 1280x720')) };
      } catch (e) {
        if (e instanceof SpiceError) throw usage(e.message);
        throw e;
      }
    },
    async run({ heads }, script) {
      await resize(await script.agent.ready(), heads);
      return null;
    },
  }),
  defineAction<{ files: string[] }>({
    name: 'send',
    synopsis: 'send FILE...',
    help:
      "copy files into the guest's download folder, with progress on\n" +
      'stderr; each failure is reported by file name and the command\n' +
      'exits 9 (a file named like an action is written ./NAME)',
    needs: ['agent'],
    repeatable: false,
    parse(words) {
      const files: string[] = [];
      for (let next = words.peek(); next !== undefined && !words.isAction(next.toLowerCase()); next = words.peek()) {
        files.push(next);
        words.skip();
      }
      if (files.length === 0) throw usage('send needs at least one FILE');
      return { files };
    },
    async prepare(args) {
      await checkFilesToSend(args.files);
      return args;
    },
    async run({ files }, script) {
      const agent = await script.agent.ready();
      let failures = 0;
      for (const file of files) {
        const error = await sendOne(agent, file, script.agent);
        if (error) {
          failures++;
          script.agent.progress(`spicedesk: send ${file} failed: ${error}`);
        }
      }
      // Each failure was printed already.
      return failures > 0 ? failed('') : null;
    },
  }),
];

/** Prints the guest's clipboard text; returns why not when it holds none. */
async function clipGet(access: ScriptAgent): Promise<string | null> {
  const agent = await access.ready();
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
  // The guest may copy again while its last contents are on the way: then the newer contents are
  // what the user wants, so ask again (a few times, for a guest that keeps copying).
  for (let attempt = 1; ; attempt++) {
    const types = clipboard.guestTypes(ClipboardSelection.CLIPBOARD);
    if (types && !types.includes(ClipboardType.UTF8_TEXT)) {
      const held = types.map((t) => clipboardMimeTypes[t] ?? `type ${t}`).join(', ');
      return `clip-get: the guest's clipboard holds no text (it holds ${held || 'nothing'})`;
    }
    let regrabbed = false;
    const off = clipboard.events.on('guest-grab', ({ selection }) => {
      if (selection === ClipboardSelection.CLIPBOARD) regrabbed = true;
    });
    try {
      // Without a grab, ask anyway: contents copied before this connection are not announced.
      const text = await access.bounded(clipboard.requestText(ClipboardSelection.CLIPBOARD, { unannounced: !types }), 'the guest did not send its clipboard');
      access.out(text);
      return null;
    } catch (e) {
      if (!(e instanceof SpiceError) || e.kind !== 'protocol' || !agent.connected) throw e;
      if (regrabbed && attempt < CLIP_GET_ATTEMPTS) continue;
      return types ? `clip-get: ${e.message}` : `clip-get: the guest's clipboard is empty`;
    } finally {
      off();
    }
  }
}

async function resize(agent: Agent, heads: HeadSize[]): Promise<void> {
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

/** Sends one file; null when it arrived, else why not. */
async function sendOne(agent: Agent, file: string, access: ScriptAgent): Promise<string | null> {
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
    return await watchTransfer(agent, agent.files.send(source), file, access);
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Progress lines while the file goes, and a stall guard: no answer within the timeout cancels it. */
async function watchTransfer(agent: Agent, transfer: FileTransfer, file: string, access: ScriptAgent): Promise<string | null> {
  let lastPrint = 0;
  let lastActivity = Date.now();
  let stalled = false;
  const offProgress = agent.files.events.on('progress', (p) => {
    if (p.id !== transfer.id) return;
    lastActivity = Date.now();
    if (lastActivity - lastPrint >= PROGRESS_EVERY_MS && p.sent < p.size) {
      lastPrint = lastActivity;
      access.progress(`spicedesk: send ${file}: ${Math.floor((100 * p.sent) / p.size)}% (${formatBytes(p.sent)} of ${formatBytes(p.size)})`);
    }
  });
  const guard = setInterval(() => {
    if (Date.now() - lastActivity > access.timeoutMs) {
      stalled = true;
      transfer.cancel();
    }
  }, 250);
  try {
    const error = await transfer.done;
    if (stalled && error) return `no answer from the guest agent within ${Math.round(access.timeoutMs / 1000)} s (${transfer.sent} of ${transfer.size} bytes sent; the transfer was cancelled)`;
    if (error) return error.reason;
    access.progress(`spicedesk: sent ${file} (${transfer.size} bytes)`);
    return null;
  } finally {
    offProgress();
    clearInterval(guard);
  }
}
