// What the audio bench (audio-bench.ts) plays and listens with:
// - OnsetWriter: a worker thread that writes a sound into Xspice's playback FIFO in real time,
//   10 ms at a time on the wall clock: silence with a short tone burst (an "onset") every period,
//   and the wall time of each onset's write. A worker, so that the bench's own work (Playwright,
//   /proc) never delays the writes.
// - A PulseAudio daemon of the bench's own (its own runtime directory and socket) with one null
//   sink: every client plays into it (Chromium and remote-viewer find it through PULSE_SERVER), and
//   MonitorRecorder records the sink's monitor with parec, with the wall time of each sample.
// - findOnsets / matchOnsets: where bursts start in a recorded signal, and the latency of each
//   from the write of the same onset.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createOpusDecoder } from '../../src/main/audio/opus-decode.ts';
import { startSpiceRelay, type SpiceRelay } from '../peers/spice-relay.ts';
import { waitUntil } from '../helpers/wait.ts';
import { runToCompletion, spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { requireTool } from '../peers/require-tool.ts';

export const RATE = 48000;
/** Frames of one FIFO write (Xspice feeds the server 10 ms periods). */
const CHUNK_FRAMES = 480;

export interface OnsetOptions {
  /** Time between two onsets; a latency must stay under it to be told apart. */
  periodMs: number;
  burstMs: number;
  hz: number;
  amplitude: number;
  /** How far ahead of the wall clock the writes go. */
  leadMs: number;
}

export const DEFAULT_ONSETS: OnsetOptions = { periodMs: 1000, burstMs: 40, hz: 1000, amplitude: 0.5, leadMs: 30 };

// The worker's code (plain JavaScript: the bench is one esbuild bundle, and a worker from a string
// needs no file of its own). Writes are due every 10 ms from the start on the wall clock, `leadMs`
// early, so that a late timer on a loaded machine does not starve Xspice (which reads up to 80 ms
// ahead of its clock); a late timer writes what is due at once. An onset's time is taken right
// before its write, so the lead counts in the latency, as the server's share.
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, writeSync, closeSync } = require('node:fs');
const { path, rate, chunkFrames, periodMs, burstMs, hz, amplitude, leadMs } = workerData;
const fd = openSync(path, 'w');
const periodChunks = Math.round(periodMs * rate / 1000 / chunkFrames);
const burstFrames = Math.round(burstMs * rate / 1000);
const chunk = new Int16Array(chunkFrames * 2);
const chunkMs = chunkFrames * 1000 / rate;
const start = performance.now();
let written = 0;
let stopped = false;
let maxLateMs = 0;
let maxBlockMs = 0;
parentPort.on('message', (m) => { if (m === 'stop') stopped = true; });
function fill(index) {
  const inPeriod = (index % periodChunks) * chunkFrames;
  for (let i = 0; i < chunkFrames; i++) {
    const n = inPeriod + i;
    const v = n < burstFrames ? Math.round(amplitude * 32767 * Math.sin(2 * Math.PI * hz * n / rate)) : 0;
    chunk[2 * i] = v;
    chunk[2 * i + 1] = v;
  }
}
function tick() {
  if (stopped) { closeSync(fd); parentPort.postMessage({ type: 'closed', written, maxLateMs, maxBlockMs }); return; }
  const due = Math.floor((performance.now() + leadMs - start) / chunkMs) + 1;
  while (written < due) {
    fill(written);
    const onset = written % periodChunks === 0;
    const before = performance.now();
    const at = performance.timeOrigin + before;
    maxLateMs = Math.max(maxLateMs, before + leadMs - (start + written * chunkMs));
    try {
      writeSync(fd, chunk);
      maxBlockMs = Math.max(maxBlockMs, performance.now() - before);
    } catch (e) {
      parentPort.postMessage({ type: 'error', message: String(e && e.message || e) });
      stopped = true;
      break;
    }
    if (onset) parentPort.postMessage({ type: 'onset', at });
    written++;
  }
  setTimeout(tick, 1);
}
parentPort.postMessage({ type: 'open' });
tick();
`;

/** Writes the onset signal into a FIFO until stopped; `onsets` are the wall times (ms since the epoch) of the onsets' writes. */
export class OnsetWriter {
  readonly onsets: number[] = [];
  error: string | null = null;
  /**
   * At the end: the latest write after its due time, and the longest write (a write blocks when
   * the FIFO is full: the server read less than was written).
   */
  stats: { maxLateMs: number; maxBlockMs: number } | null = null;
  private readonly worker: Worker;
  private opened = false;

  private constructor(path: string, readonly options: OnsetOptions) {
    this.worker = new Worker(WRITER_SOURCE, { eval: true, workerData: { path, rate: RATE, chunkFrames: CHUNK_FRAMES, ...options } });
    this.worker.on('message', (m: { type: string; at?: number; message?: string; maxLateMs?: number; maxBlockMs?: number }) => {
      if (m.type === 'onset' && m.at !== undefined) this.onsets.push(m.at);
      else if (m.type === 'closed') this.stats = { maxLateMs: m.maxLateMs ?? NaN, maxBlockMs: m.maxBlockMs ?? NaN };
      else if (m.type === 'open') this.opened = true;
      else if (m.type === 'error') this.error = m.message ?? 'write failed';
    });
    this.worker.on('error', (e) => { this.error = e.message; });
  }

  /** Creates the FIFO (Xspice picks up new FIFOs in its directory) and starts writing once the driver opened it. */
  static async start(fifoDir: string, name: string, options: OnsetOptions = DEFAULT_ONSETS): Promise<OnsetWriter> {
    const path = join(fifoDir, name);
    const made = await runToCompletion(requireTool('mkfifo', 'coreutils'), [path], { timeoutMs: 5000 });
    if (made.code !== 0) throw new Error(`mkfifo ${path}: ${made.stderr}`);
    const writer = new OnsetWriter(path, options);
    await waitUntil('Xspice to open the playback FIFO', () => writer.opened || writer.error !== null, 10_000);
    if (writer.error) throw new Error(`the onset writer failed: ${writer.error}`);
    return writer;
  }

  /** Onsets written between two wall times. */
  writtenBetween(fromMs: number, toMs: number): number[] {
    return this.onsets.filter((t) => t >= fromMs && t < toMs);
  }

  async stop(): Promise<void> {
    this.worker.postMessage('stop');
    await waitUntil('the onset writer to close the FIFO', () => this.stats !== null || this.error !== null, 5000).catch(() => undefined);
    await this.worker.terminate();
  }
}

// ---- the wire ----

const PLAYBACK = 5;
const PLAYBACK_DATA = 101;
const PLAYBACK_MODE = 102;
const MODE_OPUS = 3;

export interface SoundRelay {
  relay: SpiceRelay;
  /** Wall times (ms since the epoch) at which a DATA whose sound starts an onset reached the relay. */
  onsets: number[];
  /** Open playback channels that got their MODE (sound written before is lost). */
  playbackReady(): boolean;
}

/**
 * The SPICE relay (test/peers/spice-relay.ts) in front of the server, for every client: it decodes
 * the playback DATA the server sends (RAW, or Opus with the CLI's decoder) and notes when an onset
 * went by, which splits each latency into the server's share (FIFO to wire) and the client's.
 */
export async function startSoundRelay(port: number): Promise<SoundRelay> {
  const opus = await createOpusDecoder(2, RATE);
  const onsets: number[] = [];
  const withMode = new Set<number>();
  const modes = new Map<number, number>();
  const quietFrames = Math.round(0.3 * RATE);
  let sinceLoud = Infinity;
  const relay = await startSpiceRelay(
    { port },
    {
      fromServer(channel, m) {
        if (channel.type !== PLAYBACK) return undefined;
        if (m.type === PLAYBACK_MODE && m.body.byteLength >= 6) {
          withMode.add(channel.index);
          modes.set(channel.index, m.body[4] | (m.body[5] << 8));
        } else if (m.type === PLAYBACK_DATA && m.body.byteLength > 4) {
          const at = performance.timeOrigin + performance.now();
          const payload = m.body.subarray(4);
          let pcm: Int16Array;
          try {
            pcm = modes.get(channel.index) === MODE_OPUS ? opus.decode(payload) : new Int16Array(payload.slice().buffer, 0, payload.byteLength >> 1);
          } catch {
            return undefined; // not ours to judge: the clients see the same packet
          }
          for (let i = 0; i < pcm.length; i += 2) {
            if (Math.abs(pcm[i]) < 0.125 * 32768) {
              sinceLoud++;
              continue;
            }
            if (sinceLoud > quietFrames) onsets.push(at);
            sinceLoud = 0;
          }
        }
        return undefined;
      },
    },
  );
  return {
    relay,
    onsets,
    playbackReady: () => relay.channels.some((c) => c.type === PLAYBACK && !c.closed && withMode.has(c.index)),
  };
}

// ---- the sound server ----

export interface PulseServer {
  /** For PULSE_SERVER and parec --server. */
  server: string;
  sink: string;
  process: GroupProcess;
  /** Streams playing into the server now (its sink inputs). */
  sinkInputs(): Promise<number>;
}

/** A PulseAudio daemon of its own in `dir` (no user session here), with a 48 kHz stereo null sink as the default. */
export async function startPulse(dir: string): Promise<PulseServer> {
  const pulseaudio = requireTool('pulseaudio', 'pulseaudio');
  const pactl = requireTool('pactl', 'pulseaudio-utils');
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'native');
  const sink = 'spicedesk_bench';
  const env = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: dir, XDG_CONFIG_HOME: dir };
  const proc = spawnGroup(
    pulseaudio,
    [
      '-n', // no default.pa: only the modules below
      '--daemonize=no',
      '--exit-idle-time=-1',
      '--use-pid-file=no',
      '--log-target=stderr',
      '-L',
      `module-native-protocol-unix socket=${socket} auth-anonymous=1`,
      '-L',
      `module-null-sink sink_name=${sink} rate=${RATE} channels=2`,
    ],
    { env, name: 'pulseaudio' },
  );
  const server = `unix:${socket}`;
  const ask = (args: string[]) => runToCompletion(pactl, ['--server', server, ...args], { timeoutMs: 5000 });
  await waitUntil('pulseaudio to answer', async () => !proc.running() || (await ask(['info'])).code === 0, 10_000);
  if (!proc.running()) throw new Error(`pulseaudio exited: ${proc.outputTail()}`);
  return {
    server,
    sink,
    process: proc,
    async sinkInputs() {
      const r = await ask(['list', 'short', 'sink-inputs']);
      return r.stdout.toString('utf8').split('\n').filter((l) => l.trim()).length;
    },
  };
}

/** What a recorder gives: the left channel and the wall time (ms since the epoch) its first sample was played into the sink. */
export interface Recording {
  rate: number;
  left: Float32Array;
  /** null when nothing came. */
  startMs: number | null;
}

/**
 * Records the null sink's monitor with parec. The sink renders on the system clock, so sample k
 * was played at start + k / rate; the start is the earliest that the arrivals allow (each chunk's
 * arrival time minus the duration recorded up to its end), which leaves parec's smallest delivery
 * delay (a few ms at --latency-msec=5) in the measured latency.
 */
export class MonitorRecorder {
  private readonly proc: GroupProcess;
  private readonly parts: Buffer[] = [];
  private bytes = 0;
  private start = Infinity;

  constructor(pulse: PulseServer) {
    const parec = requireTool('parec', 'pulseaudio-utils');
    this.proc = spawnGroup(parec, ['--server', pulse.server, '-d', `${pulse.sink}.monitor`, '--raw', '--format=s16le', `--rate=${RATE}`, '--channels=2', '--latency-msec=5'], { name: 'parec' });
    this.proc.child.stdout?.on('data', (chunk: Buffer) => {
      const now = performance.timeOrigin + performance.now();
      this.parts.push(chunk);
      this.bytes += chunk.length;
      this.start = Math.min(this.start, now - (this.bytes / 4 / RATE) * 1000);
    });
  }

  async stop(): Promise<Recording> {
    await this.proc.stop();
    const all = Buffer.concat(this.parts);
    const frames = Math.floor(all.length / 4);
    const left = new Float32Array(frames);
    for (let i = 0; i < frames; i++) left[i] = all.readInt16LE(4 * i) / 32768;
    return { rate: RATE, left, startMs: Number.isFinite(this.start) ? this.start : null };
  }
}

// ---- onsets ----

/**
 * Sample indices where a burst starts: the first sample at a quarter of the loudest one (at least
 * 0.02) after `quietMs` without any. Onsets are bursts after silence, so the codec's smearing and
 * the page's fades change where the level crosses by a fraction of a millisecond.
 */
export function findOnsets(signal: ArrayLike<number>, rate: number, quietMs = 300): number[] {
  let peak = 0;
  for (let i = 0; i < signal.length; i++) peak = Math.max(peak, Math.abs(signal[i]));
  const threshold = Math.max(0.02, peak / 4);
  if (peak < 0.02) return [];
  const quiet = Math.round((quietMs * rate) / 1000);
  const onsets: number[] = [];
  let lastLoud = -Infinity;
  for (let i = 0; i < signal.length; i++) {
    if (Math.abs(signal[i]) < threshold) continue;
    // The first onset needs its quiet inside the signal too (not a burst cut at the start).
    if (i - lastLoud > quiet && i >= quiet) onsets.push(i);
    lastLoud = i;
  }
  return onsets;
}

/**
 * The latency of each heard onset (wall ms) from the latest write before it, within one period
 * (a later one would be the next onset's).
 */
export function matchOnsets(heard: readonly number[], written: readonly number[], periodMs: number): number[] {
  const latencies: number[] = [];
  for (const h of heard) {
    let best: number | undefined;
    for (const w of written) if (w <= h && (best === undefined || w > best)) best = w;
    if (best !== undefined && h - best < periodMs * 0.95) latencies.push(h - best);
  }
  return latencies;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
