// Hostile bytes on the sound channels (a scripted server, peers/fake-session.ts): a dead or unknown
// data mode, lying counts, truncated and absurd STARTs, a RAW packet of half a frame. Each is
// reported in the log (-v shows it) with a line naming the message and what was wrong, and the
// session goes on: the good messages after them are recorded by `do listen` and answered by
// `do speak`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseWav, wavHeader } from '../../src/protocol/audio/wav.ts';
import { runCli } from '../helpers/cli.ts';
import { channelOf, sineS16, zeroCrossingFrequency } from '../helpers/audio-analysis.ts';
import {
  CHANNEL_PLAYBACK,
  CHANNEL_RECORD,
  clientMessages,
  soundData,
  soundMessages as S,
  soundMode,
  soundStart,
  soundVolume,
  startFakeSession,
} from '../peers/fake-session.ts';
import type { MisbehavingServer } from '../peers/misbehaving-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-audio-misbehaving-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let server: MisbehavingServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const tone = sineS16({ hz: 1000, seconds: 0.1, rate: 48000, channels: 2, amplitude: 0.3 });
const pcm = Buffer.from(tone.buffer, tone.byteOffset, tone.byteLength);

describe('hostile playback messages', () => {
  it('are reported one by one, and listen records the good sound after them', async () => {
    server = await startFakeSession({
      channels: [[CHANNEL_PLAYBACK, 0]],
      onChannel(type, c) {
        if (type !== CHANNEL_PLAYBACK) return;
        c.send(S.PLAYBACK_MODE, soundMode(1, 2)); // CELT: dead
        c.send(S.PLAYBACK_MODE, soundMode(1, 77));
        c.send(S.PLAYBACK_VOLUME, soundVolume(200, 1000));
        c.send(S.PLAYBACK_START, Buffer.from([2, 0, 0]));
        c.send(S.PLAYBACK_START, soundStart(0xffffffff, 1, 48000, 5));
        c.send(S.PLAYBACK_START, soundStart(2, 9, 48000, 5));
        c.send(150, Buffer.alloc(4));
        c.send(S.PLAYBACK_MODE, soundMode(2, 1));
        c.send(S.PLAYBACK_START, soundStart(2, 1, 48000, 10));
        c.send(S.PLAYBACK_DATA, soundData(10, pcm.subarray(0, 1919)));
        for (let i = 0; i < 10; i++) c.send(S.PLAYBACK_DATA, soundData(20 + 10 * i, pcm.subarray(i * 1920, (i + 1) * 1920)));
      },
    });
    const out = join(dir, 'after-errors.wav');
    const r = await runCli(['do', `spice://127.0.0.1:${server.port}`, 'listen', out, '--seconds', '0.1', '--timeout', '10', '-v']);
    expect(r.code, r.stderr).toBe(0);
    for (const text of [
      /skipping playback message MODE: malformed data from the server: audio data mode CELT_0_5_1 \(only RAW 1 and OPUS 3 are played\) \[playback channel, message MODE \(102\), offset 4\]/,
      /audio data mode 77/,
      /volume list claims 200 entries of 2 bytes but only 2 bytes remain \[playback channel, message VOLUME \(105\)/,
      /skipping playback message START: .*u32 needs 4 bytes but only 3 remain/,
      /4294967295 audio channels \(1 to 8 accepted\)/,
      /audio format 9 \(only S16, 1, exists\)/,
      /ignoring unknown message 150/,
      /a RAW packet of 1919 bytes is not a whole number of 4-byte frames/,
    ]) {
      expect(r.stderr).toMatch(text);
    }
    expect(r.stderr).toMatch(/listen: wrote 0\.100 s of 2-channel 48000 Hz sound \(RAW, 10 packets\)/);
    const wav = parseWav(new Uint8Array(readFileSync(out)));
    expect(wav.frames).toBe(4800);
    expect(Array.from(wav.samples)).toEqual(Array.from(tone));
  });

  it('a DATA larger than any audio packet is refused, the channel goes on', async () => {
    server = await startFakeSession({
      channels: [[CHANNEL_PLAYBACK, 0]],
      onChannel(type, c) {
        if (type !== CHANNEL_PLAYBACK) return;
        c.send(S.PLAYBACK_MODE, soundMode(1, 1));
        c.send(S.PLAYBACK_START, soundStart(2, 1, 48000, 10));
        c.send(S.PLAYBACK_DATA, soundData(10, Buffer.alloc(40 * 1024)));
        c.send(S.PLAYBACK_DATA, soundData(20, pcm.subarray(0, 1920)));
        c.send(S.PLAYBACK_STOP, Buffer.alloc(0));
      },
    });
    const out = join(dir, 'oversized.wav');
    const r = await runCli(['do', `spice://127.0.0.1:${server.port}`, 'listen', out, '--timeout', '10', '-v']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/an audio packet of 40960 bytes \(at most 32768 accepted\) \[playback channel, message DATA \(101\)/);
    expect(parseWav(new Uint8Array(readFileSync(out))).frames).toBe(480);
  });
});

describe('hostile record messages', () => {
  it('are reported, and speak answers the good START after them', async () => {
    let sent = Buffer.alloc(0);
    server = await startFakeSession({
      channels: [[CHANNEL_RECORD, 0]],
      onChannel(type, c) {
        if (type !== CHANNEL_RECORD) return;
        c.socket.on('data', (chunk: Buffer) => (sent = Buffer.concat([sent, chunk])));
        c.send(S.RECORD_START, soundStart(2, 7, 48000));
        c.send(S.RECORD_START, soundStart(2, 1, 3));
        c.send(S.RECORD_VOLUME, soundVolume(9));
        c.send(S.RECORD_START, Buffer.alloc(2));
        c.send(S.RECORD_START, soundStart(2, 1, 48000));
      },
    });
    const wavPath = join(dir, 'speak.wav');
    writeFileSync(wavPath, Buffer.concat([wavHeader(2, 48000, pcm.byteLength), pcm]));
    const r = await runCli(['do', `spice://127.0.0.1:${server.port}`, 'speak', wavPath, '--timeout', '10', '-v']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/skipping record message START: malformed data from the server: audio format 7 \(only S16, 1, exists\) \[record channel, message START \(101\), offset 4\]/);
    expect(r.stderr).toMatch(/an audio frequency of 3 Hz \(4000 to 192000 accepted\)/);
    expect(r.stderr).toMatch(/volume list claims 9 entries .*VOLUME \(103\)/);
    expect(r.stderr).toMatch(/skipping record message START: .*needs 4 bytes but only 2 remain/);
    expect(r.stderr).toMatch(/speak: sent 0\.10 s of 0\.10 s as 10 packets of 2-channel 48000 Hz RAW/);
    const messages = clientMessages(sent).filter((m) => m.type >= 101);
    expect(messages.map((m) => m.type)).toEqual([S.RECORD_MODE, S.RECORD_START_MARK, ...Array(10).fill(S.RECORD_DATA)]);
    expect(messages[0].body.readUInt16LE(4)).toBe(1);
    const received = new Int16Array(Buffer.concat(messages.slice(2).map((m) => m.body.subarray(4))).buffer.slice(0));
    expect(zeroCrossingFrequency(channelOf(received, 2, 0), 48000)).toBeCloseTo(1000, 0);
  });
});
