// The microphone's sending (record-sender.ts) and its place in the decode worker
// (worker-record.ts), in Node (no WebCodecs here, so RAW): the capture worklet's blocks become
// 480-sample stereo S16 packets at the server's rate, at the guest's capture volume; the worker
// takes them from the worklet's port, sends them through its bridge, counts what it sent and
// stops at close, its port let go.
import { describe, expect, it } from 'vitest';
import { AudioDataMode } from '../../../../src/protocol/audio/audio-format.ts';
import type { UiMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { RecordSender } from '../../../../src/renderer/audio/record-sender.ts';
import { WorkerRecord, type RecordFromWorker } from '../../../../src/renderer/audio/worker-record.ts';
import type { FromCapture } from '../../../../src/renderer/audio/worklet-messages.ts';

const block = (n: number, value: number): Float32Array[] => [new Float32Array(n).fill(value), new Float32Array(n).fill(-value)];
const s16 = (p: Uint8Array): Int16Array => new Int16Array(p.buffer, p.byteOffset, p.byteLength / 2);

describe('RecordSender', () => {
  it('sends RAW frames of 480 stereo samples, at the guest\'s volume (ramped), when there is no Opus encoder', () => {
    const packets: { payload: Uint8Array; mode: AudioDataMode }[] = [];
    const sender = new RecordSender({ contextRate: 48000, frequency: 48000, opus: true, guest: { volume: null, muted: false } }, (payload, mode) => packets.push({ payload, mode }));
    expect(sender.mode).toBe('raw');
    sender.push(block(512, 0.5));
    sender.push(block(512, 0.5));
    expect(packets).toHaveLength(2);
    expect(packets.every((p) => p.mode === AudioDataMode.RAW && p.payload.byteLength === 1920)).toBe(true);
    expect(s16(packets[0].payload).slice(0, 2)).toEqual(Int16Array.from([16384, -16384]));
    sender.setGuest({ volume: null, muted: true });
    sender.push(block(480, 0.5));
    sender.push(block(480, 0.5));
    // The frame after the change ramps down; the next is silent.
    expect(Math.abs(s16(packets[2].payload)[0])).toBeGreaterThan(0);
    expect(Array.from(s16(packets[3].payload)).every((v) => v === 0)).toBe(true);
    expect(sender.counts).toEqual({ frames: 4, opusPackets: 0, rawPackets: 4, dropped: 0 });
    sender.close();
    sender.push(block(960, 0.5));
    expect(packets).toHaveLength(4);
  });
});

describe('WorkerRecord', () => {
  function fakePort() {
    return { onmessage: null as ((e: MessageEvent<FromCapture>) => void) | null, closed: false, close() { this.closed = true; } };
  }

  it('sends the worklet\'s blocks through the bridge, counts what it sent, and stops at close', () => {
    const sent: UiMessage[] = [];
    const reports: RecordFromWorker[] = [];
    let bridge = true;
    let now = 0;
    const record = new WorkerRecord((m) => (bridge ? (sent.push(m), true) : false), (m) => reports.push(m), () => now);
    const port = fakePort();
    record.command({ kind: 'record-open', port: port as unknown as MessagePort, options: { contextRate: 48000, frequency: 48000, opus: false, guest: { volume: [32768, 32768], muted: false } } });
    expect(reports.at(-1)).toEqual({ kind: 'record-stats', counts: { frames: 0, opusPackets: 0, rawPackets: 0, dropped: 0 }, mode: 'raw', sent: 0 });
    // The framer keeps one frame of look-ahead: 961 captured frames make two packets.
    port.onmessage!({ data: { planes: block(961, 0.5) } } as MessageEvent<FromCapture>);
    expect(sent).toHaveLength(2);
    const first = sent[0] as Extract<UiMessage, { kind: 'record-data' }>;
    expect(first).toMatchObject({ kind: 'record-data', mode: AudioDataMode.RAW, time: 0 });
    // Half the mixer's range: (1/2)^3 of the level, ramped to from full over the first frame.
    expect(s16(first.payload)[0]).toBeGreaterThan(16000);
    expect(s16((sent[1] as Extract<UiMessage, { kind: 'record-data' }>).payload)[0]).toBe(16384 / 8);
    record.command({ kind: 'record-guest', guest: { volume: null, muted: true } });
    bridge = false;
    now += 1000;
    port.onmessage!({ data: { planes: block(480, 0.5) } } as MessageEvent<FromCapture>);
    expect(sent).toHaveLength(2);
    expect(reports.at(-1)).toMatchObject({ counts: { frames: 3, rawPackets: 3 }, sent: 2 });
    record.command({ kind: 'record-close' });
    expect(port.closed).toBe(true);
    expect(port.onmessage).toBeNull();
    expect(reports.at(-1)).toMatchObject({ counts: { frames: 3 }, sent: 2, mode: 'raw' });
    record.close();
    expect(reports).toHaveLength(3);
  });
});
