// The page's file queue on the host, against the real AgentFileTransfers over a fake agent link:
// credit before bytes, bytes handed to the agent in order, a result per file by outcome, cancel
// while the agent waits for the page, the agent leaving mid-way, and a page that breaks the rules.
import { describe, expect, it } from 'vitest';
import type { FileHostMessage } from '../../../../src/protocol/bridge/file-messages.ts';
import { Emitter } from '../../../../src/protocol/emitter.ts';
import type { AgentEvents } from '../../../../src/protocol/channels/main/agent/agent.ts';
import { AgentMsg, FileXferStatus, parseFileXferData, parseFileXferStart } from '../../../../src/protocol/channels/main/agent/agent-messages.ts';
import { AgentFileTransfers } from '../../../../src/protocol/channels/main/agent/file-transfer.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { WireWriter } from '../../../../src/protocol/wire/writer.ts';
import { CREDIT_WINDOW_BYTES, MAX_PAGE_FILES, PageFiles } from '../../../../src/main/host/page-files.ts';
import { fakeLink, type FakeLink } from '../../channels/main/agent/fake-link.ts';
import { drainQueuedWork } from '../../../helpers/wait.ts';

const CHUNK = 64 * 1024;

async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await drainQueuedWork();
}

function setup(): { link: FakeLink; agentFiles: AgentFileTransfers; events: Emitter<AgentEvents>; files: PageFiles; out: FileHostMessage[] } {
  const link = fakeLink([]);
  const agentFiles = new AgentFileTransfers(link);
  const events = new Emitter<AgentEvents>();
  const out: FileHostMessage[] = [];
  const files = new PageFiles((m) => out.push(m), silentLogger);
  files.attach({ files: agentFiles, events });
  return { link, agentFiles, events, files, out };
}

const status = (id: number, result: number, extra?: (w: WireWriter) => void): Uint8Array => {
  const w = new WireWriter().u32(id).u32(result);
  extra?.(w);
  return w.finish();
};

/** The agent transfer id of the last FILE_XFER_START. */
function lastStart(link: FakeLink): { id: number; name: string; size: number } {
  const starts = link.sent.filter((m) => m.type === AgentMsg.FILE_XFER_START);
  return parseFileXferStart(starts[starts.length - 1].body);
}

const bytesOf = (size: number, seed = 0): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);

const credits = (out: FileHostMessage[], id: number): number[] => out.filter((m) => m.kind === 'file-credit' && m.id === id).map((m) => (m as { upTo: number }).upTo);
const results = (out: FileHostMessage[]) => out.filter((m) => m.kind === 'file-result');

describe('PageFiles', () => {
  it('asks for bytes only once the agent accepts, a window ahead, and hands them over whole and in order', async () => {
    const { link, agentFiles, files, out } = setup();
    const size = CREDIT_WINDOW_BYTES + 3 * CHUNK + 17;
    const content = bytesOf(size);
    files.handle({ kind: 'file-offer', id: 7, name: 'big file.bin', size });
    await settle();
    expect(lastStart(link)).toMatchObject({ name: 'big file.bin', size });
    // No credit before the agent said it can take data: a refused file is never read.
    expect(credits(out, 7)).toEqual([]);
    agentFiles.handleStatus(status(lastStart(link).id, FileXferStatus.CAN_SEND_DATA));
    await settle();
    expect(credits(out, 7)).toEqual([CREDIT_WINDOW_BYTES]);
    // The page sends what it may, in chunks; the host grants more as the agent reads.
    let offset = 0;
    for (let round = 0; round < 10 && offset < size; round++) {
      const allowed = Math.max(...credits(out, 7));
      while (offset < allowed) {
        const n = Math.min(CHUNK - 1000, allowed - offset);
        files.handle({ kind: 'file-data', id: 7, offset, data: content.subarray(offset, offset + n) });
        offset += n;
      }
      await settle();
    }
    expect(offset).toBe(size);
    const sent = link.sent.filter((m) => m.type === AgentMsg.FILE_XFER_DATA).map((m) => parseFileXferData(m.body).data);
    expect(Buffer.compare(Buffer.concat(sent), Buffer.from(content))).toBe(0);
    expect(Math.max(...credits(out, 7))).toBe(size);
    const progress = out.filter((m) => m.kind === 'file-progress').map((m) => (m as { sent: number }).sent);
    expect(progress[progress.length - 1]).toBe(size);
    agentFiles.handleStatus(status(lastStart(link).id, FileXferStatus.SUCCESS));
    await settle();
    expect(results(out)).toEqual([{ kind: 'file-result', id: 7, outcome: 'saved', message: 'saved in the guest (1.2 MB)' }]);
    expect(files.count).toBe(0);
  });

  it('reports each agent refusal with its sentence, and queues files one after another', async () => {
    const { link, agentFiles, files, out } = setup();
    files.handle({ kind: 'file-offer', id: 1, name: 'a.txt', size: 10 });
    files.handle({ kind: 'file-offer', id: 2, name: 'b.iso', size: 5_000_000 });
    files.handle({ kind: 'file-offer', id: 3, name: 'c.txt', size: 1 });
    await settle();
    expect(link.sent.filter((m) => m.type === AgentMsg.FILE_XFER_START)).toHaveLength(1);
    agentFiles.handleStatus(status(lastStart(link).id, FileXferStatus.DISABLED));
    await settle();
    expect(lastStart(link).name).toBe('b.iso');
    agentFiles.handleStatus(status(lastStart(link).id, FileXferStatus.NOT_ENOUGH_SPACE, (w) => w.u64(123456n)));
    await settle();
    expect(lastStart(link).name).toBe('c.txt');
    agentFiles.handleStatus(status(lastStart(link).id, FileXferStatus.SESSION_LOCKED));
    await settle();
    expect(results(out)).toEqual([
      { kind: 'file-result', id: 1, outcome: 'disabled', message: 'the agent has file transfer disabled' },
      { kind: 'file-result', id: 2, outcome: 'no-space', message: 'not enough space on the guest: 123456 bytes free (123 kB), 5000000 bytes needed' },
      { kind: 'file-result', id: 3, outcome: 'locked', message: "the guest's session is locked: unlock it and send the file again" },
    ]);
  });

  it('cancel while the agent waits for the page ends the file as cancelled and tells the agent', async () => {
    const { link, agentFiles, files, out } = setup();
    files.handle({ kind: 'file-offer', id: 5, name: 'slow.bin', size: 3 * CHUNK });
    await settle();
    agentFiles.handleStatus(status(lastStart(link).id, FileXferStatus.CAN_SEND_DATA));
    await settle();
    files.handle({ kind: 'file-data', id: 5, offset: 0, data: bytesOf(CHUNK) });
    await settle();
    files.handle({ kind: 'file-cancel', id: 5 });
    await settle();
    expect(results(out)).toEqual([{ kind: 'file-result', id: 5, outcome: 'cancelled', message: `cancelled after ${CHUNK} of ${3 * CHUNK} bytes (197 kB)` }]);
    const last = link.sent[link.sent.length - 1];
    expect(last.type).toBe(AgentMsg.FILE_XFER_STATUS);
    expect(Buffer.from(last.body).readUInt32LE(4)).toBe(FileXferStatus.CANCELLED);
    // Bytes still on their way from the page are dropped without a second result.
    files.handle({ kind: 'file-data', id: 5, offset: CHUNK, data: bytesOf(10) });
    await settle();
    expect(results(out)).toHaveLength(1);
  });

  it('a queued file cancelled before it starts never reaches the agent', async () => {
    const { link, files, out } = setup();
    files.handle({ kind: 'file-offer', id: 1, name: 'first', size: 10 });
    files.handle({ kind: 'file-offer', id: 2, name: 'second', size: 10 });
    await settle();
    files.handle({ kind: 'file-cancel', id: 2 });
    await settle();
    expect(results(out)).toEqual([{ kind: 'file-result', id: 2, outcome: 'cancelled', message: 'cancelled after 0 of 10 bytes (10 bytes)' }]);
    expect(link.sent.filter((m) => m.type === AgentMsg.FILE_XFER_START).map((m) => parseFileXferStart(m.body).name)).toEqual(['first']);
  });

  it('the agent leaving mid-way fails the file being sent and the queued ones, each by id', async () => {
    const { link, agentFiles, events, files, out } = setup();
    files.handle({ kind: 'file-offer', id: 1, name: 'half.bin', size: 2 * CHUNK });
    files.handle({ kind: 'file-offer', id: 2, name: 'queued.bin', size: 10 });
    await settle();
    agentFiles.handleStatus(status(lastStart(link).id, FileXferStatus.CAN_SEND_DATA));
    await settle();
    files.handle({ kind: 'file-data', id: 1, offset: 0, data: bytesOf(CHUNK) });
    await settle();
    // As Agent.disconnect does it: the transfers are reset, then 'disconnected' is emitted.
    link.connected = false;
    agentFiles.reset('the guest agent disconnected');
    events.emit('disconnected', { reason: 'the guest agent disconnected' });
    await settle();
    const r = results(out);
    expect(r.map((m) => [m.id, m.outcome])).toEqual([
      [2, 'agent-gone'],
      [1, 'agent-gone'],
    ]);
    expect(r.find((m) => m.id === 1)?.message).toBe(`the guest agent disconnected; ${CHUNK} of ${2 * CHUNK} bytes had been sent and the guest may hold a partial file`);
  });

  it('stops a file whose bytes come out of order or past the credit, and refuses bad offers', async () => {
    const { link, agentFiles, files, out } = setup();
    files.handle({ kind: 'file-offer', id: 9, name: 'x', size: CREDIT_WINDOW_BYTES * 2 });
    await settle();
    agentFiles.handleStatus(status(lastStart(link).id, FileXferStatus.CAN_SEND_DATA));
    await settle();
    files.handle({ kind: 'file-data', id: 9, offset: 100, data: bytesOf(10) });
    await settle();
    expect(results(out)[0]).toMatchObject({ id: 9, outcome: 'refused' });
    expect(results(out)[0].message).toMatch(/^the page sent bytes at offset 100, but the next expected was 0; the transfer was stopped after 0 of/);

    files.handle({ kind: 'file-offer', id: 10, name: 'y', size: CREDIT_WINDOW_BYTES * 2 });
    await settle();
    agentFiles.handleStatus(status(lastStart(link).id, FileXferStatus.CAN_SEND_DATA));
    await settle();
    let offset = 0;
    for (; offset < CREDIT_WINDOW_BYTES; offset += CHUNK) files.handle({ kind: 'file-data', id: 10, offset, data: bytesOf(CHUNK) });
    // One chunk the window did not allow yet (the agent has read only one chunk by now).
    files.handle({ kind: 'file-data', id: 10, offset, data: bytesOf(CHUNK) });
    files.handle({ kind: 'file-data', id: 10, offset: offset + CHUNK, data: bytesOf(CHUNK) });
    await settle();
    const over = results(out).find((m) => m.id === 10);
    expect(over?.outcome).toBe('refused');
    expect(over?.message).toMatch(/past the \d+ it was allowed/);

    files.handle({ kind: 'file-offer', id: 11, name: 'z', size: 1 });
    files.handle({ kind: 'file-offer', id: 11, name: 'z again', size: 1 });
    expect(results(out).find((m) => m.id === 11)).toEqual({ kind: 'file-result', id: 11, outcome: 'refused', message: 'another file with id 11 is still under way' });
  });

  it('refuses offers when no session is attached, and past the queue limit', () => {
    const out: FileHostMessage[] = [];
    const detached = new PageFiles((m) => out.push(m), silentLogger);
    detached.handle({ kind: 'file-offer', id: 1, name: 'a', size: 1 });
    expect(out).toEqual([{ kind: 'file-result', id: 1, outcome: 'refused', message: 'the session is not connected' }]);

    const s = setup();
    for (let id = 1; id <= MAX_PAGE_FILES + 1; id++) s.files.handle({ kind: 'file-offer', id, name: `f${id}`, size: 1 });
    expect(results(s.out)).toEqual([
      { kind: 'file-result', id: MAX_PAGE_FILES + 1, outcome: 'refused', message: `${MAX_PAGE_FILES} files are already queued; send more when some have finished` },
    ]);
  });
});
