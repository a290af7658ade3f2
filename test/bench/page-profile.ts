// Where the gateway page's time goes on the gateway bench's scrolling xterm (or, with --video CODECS,
// on the video bench's playing pattern, streamed with those Xspice --video-codecs): a Chromium trace with
// V8's sampling profiler on every thread (page, decode worker, compositor threads), summed by
// thread and by function (self time), and optionally the gateway's own CPU profile
// (node --cpu-prof). A tool for finding what to make cheaper, not a bench with a verdict.
//   npx esbuild test/bench/page-profile.ts --bundle --platform=node --format=esm --packages=external \
//     --outfile=dist/page-profile.js && node dist/page-profile.js [--hash '#renderer=2d'] [--seconds 5] [--gateway-profile DIR]
//     [--image-compression auto_glz] [--bin OTHER/bin/spicedesk.cjs] [--gateway-flags=--trace-gc] [--chromium-flags='--in-process-gpu'] [--warm S] [--video gstreamer:vp8] [--audio opus|raw [--audio-stop]] [--live]
// --audio plays the audio bench's onset signal through Xspice's playback FIFO (Opus or RAW) into a
// PulseAudio null sink of its own, on an idle desktop; with --audio-stop the sound stops once it
// plays, and the page is profiled after the server's STOP. Every run also prints the CPU of each thread
// of Chromium's processes and of the gateway from /proc (native work included, which V8's samples
// do not see: the compositor, the audio output, the GPU). --gateway-profile sums the gateway's
// profile over the measured windows only (after --warm), as shares of its busy samples.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium, openSessionPage } from '../e2e/browser-page.ts';
import { pageState } from '../e2e/page-api.ts';
import { solidBackground, waitForWindow } from '../peers/desktop.ts';
import { spawnGroup } from '../peers/processes.ts';
import { sleep } from '../helpers/wait.ts';
import { startXspice, type XspiceOptions } from '../peers/xspice.ts';
import { playPattern } from '../peers/video-pattern.ts';
import { waitUntil } from '../helpers/wait.ts';
import { chromiumPid } from '../helpers/proc-tree.ts';
import { threadCpuBetween, threadTicks, type ThreadReadings } from './client-cpu.ts';
import { OnsetWriter, startPulse, type PulseServer } from './audio-peers.ts';
import { LAYOUT } from './interactive-bench.ts';
import { buildPrograms } from './interactive/probe.ts';

interface TraceEvent {
  name: string;
  cat?: string;
  ph: string;
  pid: number;
  tid: number;
  id?: string;
  args?: { name?: string; data?: { cpuProfile?: { nodes?: ProfileNode[]; samples?: number[] }; timeDeltas?: number[] } };
}
interface ProfileNode {
  id: number;
  parent?: number;
  callFrame: { functionName: string; url?: string; lineNumber: number };
}

const { values } = parseArgs({
  options: {
    hash: { type: 'string', default: '' },
    video: { type: 'string' },
    audio: { type: 'string' },
    // With --audio: stop the sound once it plays and profile the page after the server's STOP (an idle page that played sound).
    'audio-stop': { type: 'boolean', default: false },
    // The interactive bench's live scene (issue 16): a 50x30 xterm printing seq and a box moving at 25 fps.
    live: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '5' },
    // Xspice's --image-compression for the live and xterm scenes (auto_lz as the interactive bench: spice-html5 has no GLZ).
    'image-compression': { type: 'string', default: 'auto_lz' },
    // Seconds between the page playing (or showing) and the first window: V8 tiers the gateway's
    // per-packet code up over 10-30 s of sound (--gateway-flags=--trace-opt), so a short warm-up
    // measures the warm-up too.
    warm: { type: 'string', default: '2' },
    'gateway-profile': { type: 'string' },
    // Node and V8 flags for the gateway, space-separated (--trace-gc, say).
    'gateway-flags': { type: 'string', default: '' },
    // Chromium switches added to the browser's, space-separated (what the Electron window could set).
    'chromium-flags': { type: 'string', default: '' },
    top: { type: 'string', default: '25' },
    // Count the decode worker's timers (setTimeout, setInterval, requestAnimationFrame) by caller over the first window.
    'worker-timers': { type: 'boolean', default: false },
    // Another build's CLI (a checkout of an older commit, say) to compare with.
    bin: { type: 'string', default: 'bin/spicedesk.cjs' },
  },
});
const seconds = Number(values.seconds);
const top = Number(values.top);

if (values.audio !== undefined && values.audio !== 'opus' && values.audio !== 'raw') throw new Error(`--audio takes opus or raw, not ${values.audio}`);
const scratch = mkdtempSync(join(tmpdir(), 'page-profile-'));
const fifoDir = join(scratch, 'fifo');
let pulse: PulseServer | undefined;
if (values.audio) {
  pulse = await startPulse(join(scratch, 'pulse'));
  process.env.PULSE_SERVER = pulse.server;
  mkdirSync(fifoDir, { recursive: true });
}
const xspice = values.video
  ? await startXspice({ streamingVideo: 'all', videoCodecs: values.video })
  : values.audio
    ? await startXspice({ audio: { fifoDir, opus: values.audio === 'opus' } })
    : await startXspice({ imageCompression: values['image-compression'] as XspiceOptions['imageCompression'], jpegWan: 'never' });
await solidBackground(xspice, '#336699');
if (values.audio) {
  // nothing on the desktop: the sound alone
} else if (values.video) {
  playPattern(xspice, { width: 640, height: 480 });
} else if (values.live) {
  const programs = await buildPrograms(resolve('test/bench/interactive'));
  const { mover: m, scroll: sc } = LAYOUT;
  xspice.run(programs.targets, ['mover', String(m.x), String(m.y), String(m.w), String(m.h), m.bg, m.box, String(m.fps)]);
  xspice.run('xterm', ['-geometry', `50x30+${sc.x}+${sc.y}`, '-fn', 'fixed', '-fg', 'black', '-bg', 'white', '+sb', '-bw', '0', '-T', 'spicedesk-scroll', '-e', 'sh', '-c', 'while :; do seq 1 1000000; done'], { LC_ALL: 'C' });
  await waitForWindow(xspice, 'spicedesk-scroll');
} else {
  xspice.run('xterm', ['-geometry', '100x40+10+10', '-fn', 'fixed', '-fg', 'black', '-bg', 'white', '+sb', '-T', 'spicedesk-scroll', '-e', 'sh', '-c', 'while :; do seq 1 1000000; done'], { LC_ALL: 'C' });
  await waitForWindow(xspice, 'spicedesk-scroll');
}
const profileDir = values['gateway-profile'];
const nodeArgs = [...values['gateway-flags'].split(' ').filter((f) => f !== ''), ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`] : [])];
// When the gateway started, for taking its profile's samples in the measured windows only.
const gatewayStart = performance.now();
const gateway = spawnGroup(process.execPath, [...nodeArgs, resolve(values.bin), 'serve', `spice://127.0.0.1:${xspice.port}`], { name: 'spicedesk serve' });
// The gateway's first line is the page's address; with --gateway-flags=--trace-gc, V8's lines
// about collections come on the same stdout and are counted.
let gcLines = 0;
const url = await new Promise<string>((done) => {
  let out = '';
  gateway.child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
    let end: number;
    while ((end = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, end).trim();
      out = out.slice(end + 1);
      if (/^https?:\/\//.test(line)) done(line);
      else if (/Scavenge|Mark-Compact|Mark-sweep/.test(line)) gcLines++;
      // What other flags print (--trace-opt, --trace-deopt), stamped for reading against the windows.
      else if (values['gateway-flags'] !== '') console.log(`gateway ${(performance.now() / 1000).toFixed(1)} s: ${line}`);
    }
  });
});
const chromiumFlags = values['chromium-flags'].split(' ').filter((f) => f !== '');
const browser = values.audio ? await launchChromium(['--autoplay-policy=no-user-gesture-required', ...chromiumFlags], { unmuted: true }) : await launchChromium(chromiumFlags);
let writer: OnsetWriter | undefined;
/** The measured windows, in seconds from the gateway's start. */
const windows = { start: 0, end: Number.POSITIVE_INFINITY };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // How often, how long and how much the page posts to its worker.
  await context.addInitScript(() => {
    const counters = { calls: 0, ms: 0, bytes: 0 };
    (window as unknown as { postCounters: typeof counters }).postCounters = counters;
    const original = Worker.prototype.postMessage as (this: Worker, message: unknown, transfer: Transferable[]) => void;
    Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: Transferable[]) {
      // Before the call: a transferred buffer is empty after it.
      if (Array.isArray(transfer)) for (const b of transfer) if (b instanceof ArrayBuffer) counters.bytes += b.byteLength;
      const t = performance.now();
      original.call(this, message, transfer ?? []);
      counters.ms += performance.now() - t;
      counters.calls++;
    } as typeof Worker.prototype.postMessage;
  });
  const page = await openSessionPage(browser, url + values.hash, 20_000, context);
  if (process.env.PAGE_CONSOLE) page.on('console', (m) => console.log(`console: ${m.text()}`));
  const posts = (): Promise<{ calls: number; ms: number; bytes: number }> =>
    page.evaluate(() => ({ ...(window as unknown as { postCounters: { calls: number; ms: number; bytes: number } }).postCounters }));
  if (values.audio) {
    writer = await OnsetWriter.start(fifoDir, 'onsets');
    await waitUntil('the page to play the sound', async () => (await pageState(page)).audio.playout?.state === 'playing', 25_000);
    if (values['audio-stop']) {
      await writer.stop();
      writer = undefined;
      await waitUntil("the server's STOP and the playout played out", async () => {
        const a = (await pageState(page)).audio;
        return a.playback.stream === null && a.playout?.state === 'idle';
      }, 25_000);
      // The page's idle suspension (audio-output.ts) comes IDLE_SUSPEND_MS later.
      await sleep(5000);
      const a = (await pageState(page)).audio;
      console.log(`after STOP: gate ${a.gate}, context ${a.sleeping ? 'suspended for idleness' : 'running'}`);
    }
  }
  await sleep(Number(values.warm) * 1000);
  if (values['worker-timers']) await countWorkerTimers(page);
  // Threads first, over a window of their own: the sampling profiler costs every thread it samples.
  const browserPid = chromiumPid();
  const untracedPosts0 = await posts();
  windows.start = (performance.now() - gatewayStart) / 1000;
  const threads0 = threadTicks([{ pid: browserPid, part: 'chromium' }, { pid: gateway.pid, part: 'gateway' }]);
  const wakes0 = contextSwitches(gateway.pid);
  const gc0 = gcLines;
  await sleep(seconds * 1000);
  const wakes1 = contextSwitches(gateway.pid);
  const gc1 = gcLines;
  if (values['worker-timers']) await reportWorkerTimers(page);
  reportThreads(threads0, threadTicks([{ pid: browserPid, part: 'chromium' }, { pid: gateway.pid, part: 'gateway' }]));
  const untracedPosts1 = await posts();
  // The same counters without the tracing below, which preempts every thread it samples.
  console.log(
    `page -> worker, untraced: ${((untracedPosts1.calls - untracedPosts0.calls) / seconds).toFixed(0)} postMessage/s, ${((untracedPosts1.ms - untracedPosts0.ms) / seconds).toFixed(1)} ms/s inside them`,
  );
  // Each voluntary switch of the gateway's main thread is one time it slept and was woken (a read,
  // a timer); a preemption is another thread taking its core (on this VM, mostly Chromium's).
  // In this window, not the next: Chromium's sampling profiler there preempts everything.
  console.log(
    `gateway main thread: ${((wakes1.voluntary - wakes0.voluntary) / seconds).toFixed(0)} wake-ups/s (voluntary switches), ` +
      `${((wakes1.involuntary - wakes0.involuntary) / seconds).toFixed(0)} preemptions/s` +
      (values['gateway-flags'].includes('--trace-gc') ? `, ${((gc1 - gc0) / seconds).toFixed(1)} collections/s` : ''),
  );
  const cdp = await browser.newBrowserCDPSession();
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => {
    events.push(...(e.value as unknown as TraceEvent[]));
  });
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: {
      recordMode: 'recordContinuously',
      includedCategories: ['disabled-by-default-v8.cpu_profiler', '__metadata', 'disabled-by-default-display.framedisplayed'],
      excludedCategories: ['*'],
    },
  });
  const gateway0 = userAndSystemTicks(gateway.pid);
  const io0 = ioCounters(gateway.pid);
  const posts0 = await posts();
  const state0 = await pageState(page);
  await sleep(seconds * 1000);
  const state1 = await pageState(page);
  const [frames0, frames1] = [state0.frames, state1.frames];
  console.log(`page: ${((state1.presentedPixels - state0.presentedPixels) / seconds / 1e6).toFixed(2)} Mpx/s put into the canvas, ${((state1.presentedPixels - state0.presentedPixels) / Math.max(1, frames1 - frames0) / 1000).toFixed(0)} kpx a frame`);
  const posts1 = await posts();
  const gateway1 = userAndSystemTicks(gateway.pid);
  windows.end = (performance.now() - gatewayStart) / 1000;
  const io1 = ioCounters(gateway.pid);
  const cpu = (gateway1.user - gateway0.user + gateway1.system - gateway0.system) / 100;
  const readMiB = (io1.rchar - io0.rchar) / 1048576;
  console.log(
    `gateway: ${((gateway1.user - gateway0.user) / 100 / seconds).toFixed(3)} user + ${((gateway1.system - gateway0.system) / 100 / seconds).toFixed(3)} system CPU s/s`,
  );
  // The scrolling xterm's output rate swings with the machine's load (1-3 MiB/s from the server),
  // so CPU per MiB relayed is what compares between runs.
  console.log(
    `gateway I/O: ${(readMiB / seconds).toFixed(2)} MiB/s read, ${((io1.wchar - io0.wchar) / 1048576 / seconds).toFixed(2)} MiB/s written, ` +
      `${((io1.syscr - io0.syscr) / seconds).toFixed(0)} reads/s, ${((io1.syscw - io0.syscw) / seconds).toFixed(0)} writes/s; ` +
      `${readMiB > 0 ? ((cpu * 1000) / readMiB).toFixed(1) : '-'} CPU ms per MiB read`,
  );
  console.log(
    `page -> worker: ${((posts1.calls - posts0.calls) / seconds).toFixed(0)} postMessage/s, ` +
      `${((posts1.ms - posts0.ms) / seconds).toFixed(1)} ms/s inside them, ${((posts1.bytes - posts0.bytes) / seconds / 1024).toFixed(0)} KiB/s transferred`,
  );
  const complete = new Promise<void>((done) => cdp.once('Tracing.tracingComplete', () => done()));
  await cdp.send('Tracing.end');
  await complete;
  report(events, frames1 - frames0);
  if (values.audio) console.log(`\nplayout: ${JSON.stringify((await pageState(page)).audio.playout)}`);
} finally {
  await writer?.stop();
  await browser.close();
  await gateway.stop();
  await xspice.stop();
  await pulse?.process.stop();
  rmSync(scratch, { recursive: true, force: true });
}
if (profileDir) reportGateway(profileDir);

/** CPU s/s by process type and thread name (threads of one name summed), from /proc. */
function reportThreads(before: ThreadReadings, after: ThreadReadings): void {
  const byName = threadCpuBetween(before, after);
  let total = 0;
  for (const s of byName.values()) total += s / seconds;
  console.log(`\n## threads (/proc): ${total.toFixed(3)} CPU s/s in all`);
  for (const [name, s] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(s / seconds).toFixed(3).padStart(8)} s/s  ${name}`);
}

/**
 * Wraps the decode worker's timer functions to count their calls by the first caller in the
 * worker's bundle (the wrapper's own frame skipped); a code path that sets a timer per frame shows
 * up as 25 a second on the video scene.
 */
async function countWorkerTimers(page: Page): Promise<void> {
  const workers = page.workers();
  if (workers.length === 0) throw new Error('--worker-timers: the page has no worker');
  for (const worker of workers) {
    await worker.evaluate(() => {
      const counts = new Map<string, number>();
      (self as unknown as { timerCounts: Map<string, number> }).timerCounts = counts;
      for (const name of ['setTimeout', 'setInterval', 'requestAnimationFrame'] as const) {
        const g = self as unknown as Record<string, ((...args: unknown[]) => unknown) | undefined>;
        if (typeof g[name] !== 'function') continue;
        const original = g[name].bind(self);
        g[name] = (...args: unknown[]) => {
          const caller = (new Error().stack ?? '').split('\n').slice(2).find((l) => /\.js:\d+/.test(l))?.trim() ?? '?';
          const key = `${name} ${caller}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
          return original(...args);
        };
      }
    });
  }
}

async function reportWorkerTimers(page: Page): Promise<void> {
  for (const worker of page.workers()) {
    const counts = await worker.evaluate(() => [...(self as unknown as { timerCounts?: Map<string, number> }).timerCounts ?? []]);
    console.log(`\n## timers of worker ${worker.url().split('/').pop()} (calls/s over the threads window)`);
    for (const [key, n] of counts.sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(n / seconds).toFixed(1).padStart(8)}  ${key}`);
  }
}

/** Bytes and read/write system calls of a process (/proc/PID/io; sockets included). */
function ioCounters(pid: number): { rchar: number; wchar: number; syscr: number; syscw: number } {
  const fields = new Map(
    readFileSync(`/proc/${pid}/io`, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(': ') as [string, string]),
  );
  const get = (name: string): number => Number(fields.get(name) ?? NaN);
  return { rchar: get('rchar'), wchar: get('wchar'), syscr: get('syscr'), syscw: get('syscw') };
}

/** Voluntary and involuntary context switches of a process's main thread (/proc/PID/task/PID/status). */
function contextSwitches(pid: number): { voluntary: number; involuntary: number } {
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  const get = (name: string): number => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { voluntary: get('voluntary_ctxt_switches'), involuntary: get('nonvoluntary_ctxt_switches') };
}

/** utime and stime of a process, in clock ticks (1/100 s). */
function userAndSystemTicks(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

function report(events: TraceEvent[], presents: number): void {
  const threadNames = new Map<string, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args?.name ?? '?');
  const displayed = events.filter((e) => e.name === 'Display::FrameDisplayed').length;
  console.log(`\n${seconds} s: ${displayed / seconds} frames displayed/s, ${presents / seconds} page presents/s`);
  // ProfileChunk events of one profile (id) share their node table, sent in pieces.
  const profiles = new Map<string, { thread: string; nodes: Map<number, ProfileNode>; samples: number[]; deltas: number[] }>();
  for (const e of events) {
    if (e.name !== 'Profile' && e.name !== 'ProfileChunk') continue;
    const key = `${e.pid}:${e.id}`;
    let p = profiles.get(key);
    if (!p) profiles.set(key, (p = { thread: threadNames.get(`${e.pid}:${e.tid}`) ?? `${e.pid}:${e.tid}`, nodes: new Map(), samples: [], deltas: [] }));
    const data = e.args?.data;
    for (const n of data?.cpuProfile?.nodes ?? []) p.nodes.set(n.id, n);
    p.samples.push(...(data?.cpuProfile?.samples ?? []));
    p.deltas.push(...(data?.timeDeltas ?? []));
  }
  for (const p of profiles.values()) {
    const self = new Map<string, number>();
    let total = 0;
    for (let i = 0; i < p.samples.length; i++) {
      const n = p.nodes.get(p.samples[i]);
      const ms = (p.deltas[i + 1] ?? 0) / 1000;
      const name = n ? `${n.callFrame.functionName || '(anonymous)'} ${(n.callFrame.url ?? '').split('/').pop()}:${n.callFrame.lineNumber}` : '?';
      if (name.startsWith('(idle)')) continue;
      total += ms;
      self.set(name, (self.get(name) ?? 0) + ms);
    }
    if (total < 50) continue;
    console.log(`\n## ${p.thread}: ${(total / seconds).toFixed(0)} ms/s busy in V8 samples`);
    for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(ms / seconds).toFixed(1).padStart(8)} ms/s  ${name}`);
  }
}

function reportGateway(dir: string): void {
  const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().pop();
  if (!file) {
    console.log(`no .cpuprofile in ${dir}`);
    return;
  }
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    nodes: (ProfileNode & { hitCount: number })[];
    startTime: number;
    endTime: number;
    samples: number[];
    timeDeltas: number[];
  };
  // Only the samples in the measured windows (the profile runs from the gateway's start, warm-up
  // included; its clock starts a few ms after the spawn, close enough for windows of seconds).
  const names = new Map<number, string>();
  for (const n of prof.nodes) names.set(n.id, `${n.callFrame.functionName || '(anonymous)'} ${(n.callFrame.url ?? '').split('/').pop()}:${n.callFrame.lineNumber}`);
  // Samples are counted, not weighed by the time to the next one: on a loaded machine the sampler
  // itself is held up (gaps of 100 ms and more), and the sample before a gap would take all of it.
  const self = new Map<string, number>();
  let t = 0;
  let all = 0;
  let busy = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] ?? 0;
    const at = t / 1e6;
    if (at < windows.start || at > windows.end) continue;
    all++;
    const name = names.get(prof.samples[i]) ?? '?';
    if (name.startsWith('(idle)')) continue;
    busy++;
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  const wall = Math.min(windows.end, (prof.endTime - prof.startTime) / 1e6) - windows.start;
  const msPerSample = (wall * 1000) / Math.max(1, all);
  console.log(
    `\n## gateway (${file}, ${windows.start.toFixed(1)}-${(windows.start + wall).toFixed(1)} s of its run: ${busy} of ${all} samples busy, ` +
      `${((busy * msPerSample) / wall).toFixed(1)} ms/s; by function, share of the busy samples)`,
  );
  for (const [name, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * n) / Math.max(1, busy)).toFixed(1).padStart(7)} %  ${name}`);
}
