// The `do` actions about sound: listen records what the guest plays into a WAV file (RAW packets
// as they come, Opus decoded), speak sends a WAV file as the guest's microphone when the guest
// opens it. The work is in src/main/audio; these read the arguments and report.
import { readFile, stat } from 'node:fs/promises';
import { parseWav, WavError, type WavAudio } from '../../../protocol/audio/wav.ts';
import { SpiceError } from '../../../protocol/wire/errors.ts';
import { listenToPlayback } from '../../audio/playback-recorder.ts';
import { speakIntoRecord } from '../../audio/wav-microphone.ts';
import { ExitCode, exitCodeFor } from '../../node/exit-codes.ts';
import { defineAction, seconds, usage, type DoActionDefinition } from './action.ts';

interface ListenArgs {
  file: string;
  /** null: until the guest's sound stops (the server's STOP). */
  seconds: number | null;
}

interface SpeakArgs {
  file: string;
  wav?: WavAudio;
}

/** A WAV larger than this is not a microphone clip (an hour of 48 kHz stereo is 660 MiB). */
const MAX_SPEAK_FILE_BYTES = 1 << 30;

const fixed = (n: number, digits = 2) => n.toFixed(digits);

export const audioActions: readonly DoActionDefinition<unknown>[] = [
  defineAction<ListenArgs>({
    name: 'listen',
    synopsis: 'listen FILE.wav [--seconds S]',
    help:
      'record what the guest plays into a 16-bit WAV (its channels\n' +
      'and rate; Opus decoded): S seconds of sound, or until the\n' +
      'sound stops; waits up to --timeout for it to start (exits 7\n' +
      'if it never does); silences are left out, and it says how\n' +
      'many seconds it got; at the guest\'s playback volume and\n' +
      'mute, as a listener would hear it',
    needs: ['playback'],
    repeatable: false,
    parse(words) {
      const file = words.take('a FILE.wav to record into');
      if (!/\.wav$/i.test(file)) throw usage(`listen writes a WAV file: give a name ending in .wav, got "${file}"`);
      const args: ListenArgs = { file, seconds: null };
      if (words.peek() === '--seconds') {
        words.skip();
        args.seconds = seconds(words.peek() === undefined ? undefined : words.take('S'), 'listen --seconds', 86_400, 0.01) / 1000;
      }
      return args;
    },
    async run(args, script) {
      const sound = script.sound;
      try {
        const r = await listenToPlayback(sound.playback, { file: args.file, seconds: args.seconds, waitMs: sound.timeoutMs, logger: script.logger, ended: sound.ended });
        const short = args.seconds !== null && r.ended !== 'seconds' ? ` (only ${fixed(r.seconds, 3)} of the ${args.seconds} s asked for: ${r.detail ?? r.ended})` : '';
        const bad = r.badPackets ? `, ${r.badPackets} undecodable packets skipped` : '';
        const { min, max } = r.gain;
        const level = min === 1 && max === 1 ? '' : `, at the guest's volume (gain ${min === max ? fixed(min, 3) : `${fixed(min, 3)} to ${fixed(max, 3)}`}${min === 0 ? ', muted at times' : ''})`;
        sound.progress(`listen: wrote ${fixed(r.seconds, 3)} s of ${r.channels}-channel ${r.frequency} Hz sound (${r.modes.join('+') || 'no packets'}, ${r.packets} packets${bad}) to ${r.file}${level}${short}`);
        return null;
      } catch (e) {
        if (!(e instanceof SpiceError)) throw e;
        return { code: exitCodeFor(e.kind), message: `listen: ${e.message}` };
      }
    },
  }),
  defineAction<SpeakArgs>({
    name: 'speak',
    synopsis: 'speak FILE.wav',
    help:
      'when the guest opens its microphone, send the WAV (16-bit PCM)\n' +
      'as the microphone, in real time, converted to the channels and\n' +
      'rate the server asks for; ends when the file is sent or the\n' +
      'guest closes the microphone; waits up to --timeout for it',
    needs: ['record'],
    repeatable: false,
    parse: (words) => ({ file: words.take('a FILE.wav to send as the microphone') }),
    prepare: async (args) => ({ ...args, wav: await readSpeakWav(args.file) }),
    async run(args, script) {
      if (!args.wav) throw new SpiceError('internal', `speak ${args.file} ran before its WAV was read`);
      const sound = script.sound;
      try {
        const r = await speakIntoRecord(sound.record, { wav: args.wav, waitMs: sound.timeoutMs, logger: script.logger, ended: sound.ended, mediaTime: () => sound.mediaTime() });
        const how = r.converted ? ` (converted from ${args.wav.channels} channels at ${args.wav.frequency} Hz)` : '';
        const level = r.gain === 1 ? '' : `, at the guest's capture volume (gain ${r.gain.toFixed(3)})`;
        const line = `speak: sent ${fixed(r.seconds)} s of ${fixed(args.wav.frames / args.wav.frequency)} s as ${r.packets} packets of ${r.start.channels}-channel ${r.start.frequency} Hz RAW${how}${level}`;
        if (r.ended === 'session-end') return { code: ExitCode.UNREACHABLE, message: `${line}; the connection ended before the file was sent` };
        sound.progress(r.ended === 'stop' ? `${line}; the guest closed its microphone first` : line);
        return null;
      } catch (e) {
        if (!(e instanceof SpiceError)) throw e;
        return { code: exitCodeFor(e.kind), message: `speak: ${e.message}` };
      }
    },
  }),
];

/** The WAV read and checked before connecting: a clear usage error naming what is wrong. */
export async function readSpeakWav(file: string): Promise<WavAudio> {
  let bytes: Uint8Array;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_SPEAK_FILE_BYTES) throw usage(`speak: ${file} is ${Math.round(size / 2 ** 20)} MiB; at most ${MAX_SPEAK_FILE_BYTES / 2 ** 20} MiB is sent`);
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    if (e instanceof SpiceError) throw e;
    throw usage(`speak: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const wav = parseWav(bytes);
    if (wav.frames === 0) throw new WavError('it holds no sound (an empty data chunk)');
    return wav;
  } catch (e) {
    if (e instanceof WavError) throw usage(`speak: ${file} cannot be sent: ${e.message}`);
    throw e;
  }
}
