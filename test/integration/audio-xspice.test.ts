// `do listen` against a real Xspice playing a 440 Hz tone through its FIFO (shared/docs/multimedia.md
// §4.1), in RAW and in Opus (XSPICE_PLAYBACK_COMPRESSION=1): the WAV written holds a 440 Hz tone
// at the level that was played. A SPICE relay between them shows the mode the server chose, so
// each case is known to be what it says.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWav } from '../../src/protocol/audio/wav.ts';
import { playFifo, startXspice } from '../peers/xspice.ts';
import { startSpiceRelay } from '../peers/spice-relay.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { waitUntil } from '../helpers/wait.ts';
import { channelOf, middle, rms, sineS16, toneShare, zeroCrossingFrequency } from '../helpers/audio-analysis.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-audio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PLAYBACK = 5;
const PLAYBACK_MODE = 102;
const PLAYBACK_START = 103;
const PLAYBACK_DATA = 101;
const TONE_HZ = 440;
const AMPLITUDE = 0.5;
/** RMS of the tone played: a sine's peak over √2. */
const PLAYED_RMS = (AMPLITUDE * 32767) / Math.SQRT2;

/**
 * Measured here: RAW 440.000 Hz at 1.0000 of the played RMS (bit-exact), Opus 439.999 Hz at 1.0005,
 * both channels, tone share 1.0000. The tolerances (0.5 Hz; 1 % RAW, 3 % Opus; share > 0.98) leave
 * room for a loaded machine's dropped packets without letting another tone or a level error pass.
 */
const CASES = [
  { mode: 'RAW', opus: false, modeNumber: 1, hzTolerance: 0.5, levelTolerance: 0.01 },
  { mode: 'OPUS', opus: true, modeNumber: 3, hzTolerance: 0.5, levelTolerance: 0.03 },
] as const;

describe('do listen records what Xspice plays', () => {
  it.each(CASES)('$mode', { timeout: 90_000 }, async ({ mode, opus, modeNumber, hzTolerance, levelTolerance }) => {
    const fifoDir = join(dir, `fifo-${mode}`);
    mkdirSync(fifoDir);
    const xs = await startXspice({ audio: { fifoDir, opus } });
    const modes: number[] = [];
    let starts = 0;
    let packets = 0;
    const relay = await startSpiceRelay(
      { port: xs.port },
      {
        fromServer(channel, m) {
          if (channel.type !== PLAYBACK) return undefined;
          if (m.type === PLAYBACK_MODE) modes.push(m.body[4] | (m.body[5] << 8));
          if (m.type === PLAYBACK_START) starts++;
          if (m.type === PLAYBACK_DATA) packets++;
          return undefined;
        },
      },
    );
    try {
      const out = join(dir, `${mode}.wav`);
      const listen = startCli(['do', relay.url, 'listen', out, '--seconds', '2', '--timeout', '30', '-v'], { killAfterMs: 60_000 });
      // The server sends MODE right after the playback channel links; sound before that is lost.
      await waitUntil('the playback channel linked (its MODE)', () => modes.length > 0 || listen.exited(), 30_000, { explain: () => listen.stderrSoFar().slice(-2000) });
      expect(listen.exited(), listen.stderrSoFar()).toBe(false);
      const tone = sineS16({ hz: TONE_HZ, seconds: 4, rate: 48000, channels: 2, amplitude: AMPLITUDE });
      const playing = playFifo(fifoDir, tone);
      const result = await listen.done;
      await playing;
      expect(result.code, result.stderr).toBe(0);
      expect(modes).toEqual([modeNumber]);
      expect(starts).toBeGreaterThanOrEqual(1);
      expect(result.stderr).toMatch(new RegExp(`listen: wrote 2\\.000 s of 2-channel 48000 Hz sound \\(${mode}, \\d+ packets\\) to `));

      const wav = parseWav(new Uint8Array(readFileSync(out)));
      expect({ channels: wav.channels, frequency: wav.frequency, frames: wav.frames }).toEqual({ channels: 2, frequency: 48000, frames: 96000 });
      expect(packets).toBeGreaterThanOrEqual(200);
      for (const c of [0, 1]) {
        const signal = middle(channelOf(wav.samples, 2, c), 0.5);
        const hz = zeroCrossingFrequency(signal, 48000);
        const level = rms(signal) / PLAYED_RMS;
        console.log(`${mode} channel ${c}: ${hz.toFixed(3)} Hz, level ${level.toFixed(4)} of the played RMS, tone share ${toneShare(signal, 48000, TONE_HZ).toFixed(4)}`);
        expect(Math.abs(hz - TONE_HZ)).toBeLessThan(hzTolerance);
        expect(Math.abs(level - 1)).toBeLessThan(levelTolerance);
        expect(toneShare(signal, 48000, TONE_HZ)).toBeGreaterThan(0.98);
      }
    } finally {
      await relay.close();
      await xs.stop();
    }
  });
});

describe('info lists the sound channels', () => {
  it.each(CASES)('$mode', { timeout: 60_000 }, async ({ mode, opus }) => {
    const fifoDir = join(dir, `info-fifo-${mode}`);
    mkdirSync(fifoDir);
    const xs = await startXspice({ audio: { fifoDir, opus } });
    try {
      const json = await runCli(['info', `spice://127.0.0.1:${xs.port}`, '--json']);
      expect(json.code, json.stderr).toBe(0);
      // Xspice has no record channel (its driver registers no record interface).
      expect(JSON.parse(json.stdout).audio).toEqual({ playback: { client: ['VOLUME', 'OPUS'], server: ['VOLUME', 'OPUS'], mode }, record: null });
      const text = await runCli(['info', `spice://127.0.0.1:${xs.port}`]);
      expect(text.stdout).toContain(`sound:        playback: mode ${mode}; caps announced: VOLUME, OPUS; server's: VOLUME, OPUS\n              record: not linked\n`);
    } finally {
      await xs.stop();
    }
  });
});
