import { describe, expect, it } from 'vitest';
import { AgentCap, AgentMsg, FileXferStatus, parseFileXferData, parseFileXferStart } from '../../../../../src/protocol/channels/main/agent/agent-messages.ts';
import { AgentFileTransfers, describeFileXferStatus, FILE_XFER_DATA_SIZE, type FileSource } from '../../../../../src/protocol/channels/main/agent/file-transfer.ts';
import { WireWriter } from '../../../../../src/protocol/wire/writer.ts';
import { fakeLink } from './fake-link.ts';
import { drainQueuedWork } from '../../../../helpers/wait.ts';

function source(name: string, size: number, failAt?: number): FileSource {
  return {
    name,
    size,
    async read(offset, length) {
      if (failAt !== undefined && offset >= failAt) throw new Error('disk unplugged');
      return Uint8Array.from({ length }, (_, i) => (offset + i) & 0xff);
    },
  };
}

const status = (id: number, result: number, extra?: (w: WireWriter) => void) => {
  const w = new WireWriter().u32(id).u32(result);
  extra?.(w);
  return w.finish();
};

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await drainQueuedWork();
}

describe('file transfer', () => {
  it('sends START, then DATA in 64 KiB pieces after CAN_SEND_DATA, and ends on SUCCESS', async () => {
    const link = fakeLink([AgentCap.FILE_XFER_DETAILED_ERRORS]);
    const files = new AgentFileTransfers(link);
    const progress: number[] = [];
    files.events.on('progress', (p) => progress.push(p.sent));
    const t = files.send(source('a.bin', FILE_XFER_DATA_SIZE + 10));
    await settle();
    expect(link.sent.map((m) => m.type)).toEqual([AgentMsg.FILE_XFER_START]);
    expect(parseFileXferStart(link.sent[0].body)).toEqual({ id: t.id, name: 'a.bin', size: FILE_XFER_DATA_SIZE + 10 });
    files.handleStatus(status(t.id, FileXferStatus.CAN_SEND_DATA));
    await settle();
    const data = link.sent.slice(1).map((m) => parseFileXferData(m.body));
    expect(data.map((d) => d.data.byteLength)).toEqual([FILE_XFER_DATA_SIZE, 10]);
    expect(data[1].data[0]).toBe(FILE_XFER_DATA_SIZE & 0xff);
    expect(progress).toEqual([FILE_XFER_DATA_SIZE, FILE_XFER_DATA_SIZE + 10]);
    expect(t.state).toBe('finishing');
    files.handleStatus(status(t.id, FileXferStatus.SUCCESS));
    expect(await t.done).toBeNull();
  });

  it('an empty file still gets one empty DATA message', async () => {
    const link = fakeLink([]);
    const files = new AgentFileTransfers(link);
    const t = files.send(source('empty', 0));
    await settle();
    files.handleStatus(status(t.id, FileXferStatus.CAN_SEND_DATA));
    await settle();
    expect(link.sent.slice(1).map((m) => parseFileXferData(m.body).data.byteLength)).toEqual([0]);
  });

  it('turns each refusal into a sentence naming the file', async () => {
    const link = fakeLink([]);
    const files = new AgentFileTransfers(link);
    const t = files.send(source('big.iso', 5_000_000));
    await settle();
    files.handleStatus(status(t.id, FileXferStatus.NOT_ENOUGH_SPACE, (w) => w.u64(123456n)));
    const error = await t.done;
    expect(error?.message).toBe('big.iso: not enough space on the guest: 123456 bytes free (123 kB), 5000000 bytes needed');
    expect(describeFileXferStatus({ id: 1, result: FileXferStatus.DISABLED }, 1).reason).toBe('the agent has file transfer disabled');
    expect(describeFileXferStatus({ id: 1, result: FileXferStatus.SESSION_LOCKED }, 1).reason).toMatch(/locked: unlock it/);
    expect(describeFileXferStatus({ id: 1, result: FileXferStatus.VDAGENT_NOT_CONNECTED }, 1).failure).toBe('no-session-agent');
    expect(describeFileXferStatus({ id: 1, result: FileXferStatus.ERROR, detail: { kind: 'error', errorType: 0, errorCode: 10 } }, 1).reason).toMatch(/file name is not valid/);
    expect(describeFileXferStatus({ id: 1, result: 99 }, 1).reason).toMatch(/unknown status 99/);
  });

  it('refuses at once when the agent announces file transfer disabled', async () => {
    const files = new AgentFileTransfers(fakeLink([AgentCap.FILE_XFER_DISABLED]));
    const error = await files.send(source('x', 1)).done;
    expect(error?.failure).toBe('disabled');
  });

  it('queues files one after another', async () => {
    const link = fakeLink([]);
    const files = new AgentFileTransfers(link);
    const a = files.send(source('a', 1));
    const b = files.send(source('b', 1));
    await settle();
    expect(link.sent.filter((m) => m.type === AgentMsg.FILE_XFER_START)).toHaveLength(1);
    files.handleStatus(status(a.id, FileXferStatus.DISABLED));
    await settle();
    expect(link.sent.filter((m) => m.type === AgentMsg.FILE_XFER_START).map((m) => parseFileXferStart(m.body).name)).toEqual(['a', 'b']);
    expect(b.state).toBe('waiting-for-agent');
  });

  it('cancel tells the agent and fails the file; a read error is reported with the file', async () => {
    const link = fakeLink([]);
    const files = new AgentFileTransfers(link);
    const t = files.send(source('c', 10));
    await settle();
    t.cancel();
    const error = await t.done;
    expect(error?.failure).toBe('cancelled');
    await settle();
    const last = link.sent[link.sent.length - 1];
    expect(last.type).toBe(AgentMsg.FILE_XFER_STATUS);
    expect(Buffer.from(last.body).readUInt32LE(4)).toBe(FileXferStatus.CANCELLED);

    const r = files.send(source('r', FILE_XFER_DATA_SIZE * 2, FILE_XFER_DATA_SIZE));
    await settle();
    files.handleStatus(status(r.id, FileXferStatus.CAN_SEND_DATA));
    const readError = await r.done;
    expect(readError?.message).toBe(`r: reading it failed after ${FILE_XFER_DATA_SIZE} bytes: disk unplugged`);
  });

  it('fails every pending file by name when the agent goes away', async () => {
    const link = fakeLink([]);
    const files = new AgentFileTransfers(link);
    const a = files.send(source('a', 10));
    const b = files.send(source('b', 10));
    await settle();
    files.reset('the guest agent disconnected');
    const [ea, eb] = await Promise.all([a.done, b.done]);
    expect(ea?.message).toBe('a: the guest agent disconnected; 0 of 10 bytes had been sent and the guest may hold a partial file');
    expect(eb?.failure).toBe('agent-gone');
  });
});
