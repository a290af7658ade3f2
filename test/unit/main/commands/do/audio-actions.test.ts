// `do listen` and `do speak` over real sound channels linked to an in-memory server: the arguments
// read before connecting (a bad WAV is refused then, naming what is wrong), the WAV listen writes
// (exact length, the temp file renamed, nothing left on a failure), and speak's packets paced by
// the clock, converted to the START's format, ending at the file's end or STOP.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDoArgs } from '../../../../../src/main/commands/do/do-command.ts';
import type { ScriptContext, ScriptSound } from '../../../../../src/main/commands/do/action.ts';
import { audioActions, readSpeakWav } from '../../../../../src/main/commands/do/audio-actions.ts';
import { ExitCode } from '../../../../../src/main/node/exit-codes.ts';
import { SPEAK_LEAD_PACKETS } from '../../../../../src/main/audio/wav-microphone.ts';
import { AudioDataMode, noAudioCapabilities } from '../../../../../src/protocol/audio/audio-format.ts';
import { s16Bytes } from '../../../../../src/protocol/audio/pcm.ts';
import { parseWav, WAV_HEADER_SIZE, wavHeader } from '../../../../../src/protocol/audio/wav.ts';
import { PlaybackChannel } from '../../../../../src/protocol/channels/playback/playback-channel.ts';
import { PlaybackMsg } from '../../../../../src/protocol/channels/playback/playback-messages.ts';
import { RecordChannel } from '../../../../../src/protocol/channels/record/record-channel.ts';
import { RecordMsg, RecordMsgc } from '../../../../../src/protocol/channels/record/record-messages.ts';
import { silentLogger } from '../../../../../src/protocol/logger.ts';
import { miniMessage } from '../../../../helpers/server-messages.ts';
import { waitUntil } from '../../../../helpers/wait.ts';
import { channelOf, sineS16, zeroCrossingFrequency } from '../../../../helpers/audio-analysis.ts';
import { linkedAudioChannel } from '../../../channels/playback/audio-link.ts';
import { dataBody, modeBody, recordStartBody, startBody } from '../../../channels/playback/audio-bodies.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-audio-actions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const listen = audioActions.find((a) => a.name === 'listen')!;
const speak = audioActions.find((a) => a.name === 'speak')!;

function wavFile(name: string, channels: number, frequency: number, samples: Int16Array): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([wavHeader(channels, frequency, samples.byteLength), s16Bytes(samples)]));
  return path;
}

function scriptWith(sound: Partial<ScriptSound>, progress: string[]): ScriptContext {
  return {
    logger: silentLogger,
    sound: { ended: new Promise<string>(() => {}), mediaTime: () => 1234, timeoutMs: 2000, progress: (l: string) => progress.push(l), ...sound },
  } as unknown as ScriptContext;
}

describe('do listen and speak: arguments', () => {
  it('reads listen FILE.wav [--seconds S] and speak FILE.wav, each needing its channel', () => {
    const line = parseDoArgs(['spice://h:1', 'listen', 'out.wav', '--seconds', '2.5', 'listen', 'b.WAV', 'speak', 'in.wav']);
    expect(line.actions[0]).toMatchObject({ name: 'listen', args: { file: 'out.wav', seconds: 2.5 }, needs: ['playback'], repeatable: false });
    expect(line.actions[1]).toMatchObject({ name: 'listen', args: { file: 'b.WAV', seconds: null } });
    expect(line.actions[2]).toMatchObject({ name: 'speak', args: { file: 'in.wav' }, needs: ['record'], repeatable: false });
    expect(() => parseDoArgs(['t', 'listen'])).toThrow(/listen needs a FILE.wav to record into/);
    expect(() => parseDoArgs(['t', 'listen', 'out.mp3'])).toThrow(/listen writes a WAV file: give a name ending in .wav, got "out.mp3"/);
    expect(() => parseDoArgs(['t', 'listen', 'o.wav', '--seconds', 'x'])).toThrow(/listen --seconds must be a number of seconds from 0.01 to 86400, got "x"/);
    expect(() => parseDoArgs(['t', 'speak'])).toThrow(/speak needs a FILE.wav to send as the microphone/);
  });

  it('refuses a WAV speak cannot send before connecting, naming what is wrong', async () => {
    const notWav = join(dir, 'not.wav');
    writeFileSync(notWav, 'ID3 not a wav at all');
    await expect(readSpeakWav(notWav)).rejects.toThrow(/speak: .*not.wav cannot be sent: not a WAV file \(no RIFF\/WAVE header\)/);
    const eightBit = wavFile('8bit.wav', 1, 8000, new Int16Array(4));
    const bytes = readFileSync(eightBit);
    bytes.writeUInt16LE(8, 34);
    writeFileSync(eightBit, bytes);
    await expect(readSpeakWav(eightBit)).rejects.toThrow(/it is 8-bit PCM; only 16-bit is read/);
    await expect(readSpeakWav(wavFile('empty.wav', 2, 48000, new Int16Array(0)))).rejects.toThrow(/it holds no sound/);
    await expect(readSpeakWav(join(dir, 'missing.wav'))).rejects.toThrow(/speak: cannot read .*missing.wav: ENOENT/);
    const ok = await readSpeakWav(wavFile('ok.wav', 1, 16000, Int16Array.of(1, 2, 3)));
    expect(ok).toMatchObject({ channels: 1, frequency: 16000, frames: 3 });
  });
});

describe('do listen', () => {
  async function playing(seconds: number | null, file: string, o: { timeoutMs?: number } = {}) {
    const link = await linkedAudioChannel((host) => new PlaybackChannel(host, 0, noAudioCapabilities));
    const progress: string[] = [];
    let endSession = (_why: string): void => {};
    const ended = new Promise<string>((resolve) => (endSession = resolve));
    const run = listen.run({ file, seconds }, scriptWith({ playback: link.channel, ended, timeoutMs: o.timeoutMs ?? 2000 }, progress));
    return { ...link, run, progress, endSession };
  }
  const tone = sineS16({ hz: 1000, seconds: 0.1, rate: 48000, channels: 2, amplitude: 0.25 });
  const packet = (i: number) => s16Bytes(tone.subarray(i * 960, (i + 1) * 960));

  it('writes exactly S seconds of RAW sound, cut inside the last packet, and says so', async () => {
    const file = join(dir, 'exact.wav');
    const p = await playing(0.045, file);
    p.server.feed(miniMessage(PlaybackMsg.MODE, modeBody(1, AudioDataMode.RAW)));
    p.server.feed(miniMessage(PlaybackMsg.START, startBody({ time: 10 })));
    for (let i = 0; i < 8; i++) p.server.feed(miniMessage(PlaybackMsg.DATA, dataBody(10 + i * 10, packet(i))));
    expect(await p.run).toBeNull();
    const wav = parseWav(new Uint8Array(readFileSync(file)));
    expect({ channels: wav.channels, frequency: wav.frequency, frames: wav.frames }).toEqual({ channels: 2, frequency: 48000, frames: 2160 });
    expect(Array.from(wav.samples)).toEqual(Array.from(tone.subarray(0, 2160 * 2)));
    expect(p.progress).toEqual([`listen: wrote 0.045 s of 2-channel 48000 Hz sound (RAW, 5 packets) to ${file}`]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.part'))).toEqual([]);
    await p.close();
  });

  it('without --seconds, records until STOP; a session that ends keeps what came', async () => {
    const file = join(dir, 'until-stop.wav');
    const p = await playing(null, file);
    p.server.feed(miniMessage(PlaybackMsg.START, startBody()));
    for (let i = 0; i < 3; i++) p.server.feed(miniMessage(PlaybackMsg.DATA, dataBody(i, packet(i))));
    p.server.feed(miniMessage(PlaybackMsg.STOP));
    expect(await p.run).toBeNull();
    expect(parseWav(new Uint8Array(readFileSync(file))).frames).toBe(1440);
    await p.close();

    const cut = join(dir, 'cut.wav');
    const q = await playing(10, cut);
    q.server.feed(miniMessage(PlaybackMsg.START, startBody()));
    for (let i = 0; i < 4; i++) q.server.feed(miniMessage(PlaybackMsg.DATA, dataBody(i, packet(i))));
    await waitUntil('4 packets', () => q.channel.counts.data === 4, 5000);
    q.endSession('the server closed the connection');
    expect(await q.run).toBeNull();
    const wav = parseWav(new Uint8Array(readFileSync(cut)));
    expect(wav.frames).toBe(1920);
    expect(zeroCrossingFrequency(channelOf(wav.samples, 2, 0), 48000)).toBeCloseTo(1000, 0);
    expect(q.progress[0]).toMatch(/wrote 0\.040 s .*\(only 0\.040 of the 10 s asked for: the server closed the connection\)/);
    await q.close();
  });

  it('fails with exit 7 when no sound starts in time, and leaves an existing file as it was', async () => {
    const file = join(dir, 'kept.wav');
    writeFileSync(file, 'the good recording');
    const p = await playing(1, file, { timeoutMs: 100 });
    expect(await p.run).toEqual({ code: ExitCode.TIMEOUT, message: 'listen: no sound from the guest within 0 s (the server sent no playback START)' });
    expect(readFileSync(file, 'utf8')).toBe('the good recording');
    expect(readdirSync(dir).filter((n) => n.endsWith('.part'))).toEqual([]);
    await p.close();
  });

  it('fails with exit 3 when the connection ends before any sound', async () => {
    const p = await playing(1, join(dir, 'never.wav'));
    p.endSession('the server closed the main channel connection');
    expect(await p.run).toEqual({ code: ExitCode.UNREACHABLE, message: 'listen: the connection ended before any sound came (the server closed the main channel connection)' });
    await p.close();
  });

  it('leaves the last good FILE.wav in place while recording: the sound goes to a temporary file', async () => {
    const file = join(dir, 'replaced.wav');
    writeFileSync(file, 'the old recording');
    const p = await playing(0.02, file);
    p.server.feed(miniMessage(PlaybackMsg.START, startBody()));
    await waitUntil('the temporary file', () => readdirSync(dir).some((n) => n.startsWith('.replaced.wav.') && n.endsWith('.part')), 5000);
    expect(readFileSync(file, 'utf8')).toBe('the old recording');
    p.server.feed(miniMessage(PlaybackMsg.DATA, dataBody(0, packet(0))));
    p.server.feed(miniMessage(PlaybackMsg.DATA, dataBody(1, packet(1))));
    expect(await p.run).toBeNull();
    expect(readFileSync(file).subarray(0, 4).toString()).toBe('RIFF');
    expect(readFileSync(file).byteLength).toBe(WAV_HEADER_SIZE + 960 * 4);
    await p.close();
  });
});

describe('do speak', () => {
  async function recording(file: string) {
    const link = await linkedAudioChannel((host) => new RecordChannel(host, 0, noAudioCapabilities));
    const wav = await readSpeakWav(file);
    const progress: string[] = [];
    const times: number[] = [];
    const write = link.server.write.bind(link.server);
    link.server.write = (data: Uint8Array) => {
      times.push(performance.now());
      write(data);
    };
    return { ...link, wav, progress, times };
  }

  it('sends the file in 10 ms RAW packets paced by the clock, converted to the START\'s channels and rate', async () => {
    // 0.3 s of mono 16 kHz: 30 packets of 480 stereo frames at 48 kHz.
    const file = wavFile('mono16k.wav', 1, 16000, sineS16({ hz: 500, seconds: 0.3, rate: 16000, channels: 1, amplitude: 0.5 }));
    const r = await recording(file);
    const run = speak.run({ file, wav: r.wav }, scriptWith({ record: r.channel }, r.progress));
    // The pacing starts when START arrives: no packet may leave before its time counted from here
    // (a lower bound, so a loaded machine, which only makes packets later, cannot fail it).
    const startAt = performance.now();
    r.server.feed(miniMessage(RecordMsg.START, recordStartBody()));
    expect(await run).toBeNull();
    const sent = r.sent();
    expect(sent.map((m) => m.type).slice(0, 3)).toEqual([RecordMsgc.MODE, RecordMsgc.START_MARK, RecordMsgc.DATA]);
    const data = sent.filter((m) => m.type === RecordMsgc.DATA);
    expect(data).toHaveLength(30);
    expect(data.every((m) => m.body.byteLength === 4 + 1920)).toBe(true);
    expect(new DataView(data[0].body.buffer, data[0].body.byteOffset).getUint32(0, true)).toBe(1234);
    // Paced: DATA packet i leaves no earlier than (i - lead) * 10 ms after START (the lead against timer lateness).
    const dataWrites = r.times.slice(r.times.length - sent.length + 2);
    expect(dataWrites).toHaveLength(30);
    dataWrites.forEach((t, i) => expect(t - startAt, `packet ${i}`).toBeGreaterThanOrEqual((i - SPEAK_LEAD_PACKETS) * 10 - 2));
    // The last one waits 29 - lead periods; node timers may fire a fraction of a ms early.
    expect(dataWrites[29] - startAt).toBeGreaterThanOrEqual((29 - SPEAK_LEAD_PACKETS) * 10 - 2);
    const pcm = new Int16Array(data.flatMap((m) => Array.from(new Int16Array(m.body.slice(4).buffer))));
    expect(zeroCrossingFrequency(channelOf(pcm, 2, 1), 48000)).toBeCloseTo(500, 0);
    expect(r.progress).toEqual(['speak: sent 0.30 s of 0.30 s as 30 packets of 2-channel 48000 Hz RAW (converted from 1 channels at 16000 Hz)']);
    await r.close();
  });

  it('ends when the guest closes its microphone, and fails with exit 7 when it never opens it', async () => {
    const file = wavFile('long.wav', 2, 48000, sineS16({ hz: 440, seconds: 5, rate: 48000, channels: 2, amplitude: 0.5 }));
    const r = await recording(file);
    const run = speak.run({ file, wav: r.wav }, scriptWith({ record: r.channel }, r.progress));
    r.server.feed(miniMessage(RecordMsg.START, recordStartBody()));
    await waitUntil('a few packets', () => r.channel.sentPackets >= 5, 5000);
    r.server.feed(miniMessage(RecordMsg.STOP));
    expect(await run).toBeNull();
    expect(r.channel.sentPackets).toBeLessThan(100);
    expect(r.progress[0]).toMatch(/^speak: sent 0\.\d\d s of 5\.00 s as \d+ packets of 2-channel 48000 Hz RAW; the guest closed its microphone first$/);
    await r.close();

    const never = await recording(file);
    const failed = await speak.run({ file, wav: never.wav }, scriptWith({ record: never.channel, timeoutMs: 100 }, never.progress));
    expect(failed).toEqual({ code: ExitCode.TIMEOUT, message: 'speak: the guest did not open its microphone within 0 s (the server sent no record START)' });
    expect(never.sent()).toEqual([]);
    await never.close();
  });
});
