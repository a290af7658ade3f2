// The interactive bench's live scene (a 50x30 xterm printing `seq` and a box moving at 25 fps) for
// spicedesk's page only, two builds or two sets of Chromium switches alternating in one run: a
// before/after of a change to the live session's CPU or memory, with the CPU of every thread of
// the gateway and of Chromium's processes from /proc (native work included). A tool, not a bench
// with a verdict (issue 16).
//   npx esbuild test/bench/live-ab.ts --bundle --platform=node --format=esm --packages=external \
//     --outfile=dist/live-ab.js && node dist/live-ab.js [--rounds 3] [--seconds 30]
//     [--bin-b OTHER/bin/spicedesk.cjs] [--switches-b '--renderer-process-limit=1 ...'] [--hash-b '#present=page']
//     [--switches-a ...] [--gateway-profile DIR] [--threads 12]
// A is this checkout's bin/spicedesk.cjs; B the same unless --bin-b. With --gateway-profile each
// gateway writes a V8 CPU profile of the whole session (node --cpu-prof), summed by function.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve, join } from 'node:path';
import { parseArgs } from 'node:util';
import { allProcesses, processTree } from '../helpers/proc-tree.ts';
import { threadCpuBetween, threadTicks, type ThreadReadings } from './client-cpu.ts';
import { closeSession, LAYOUT, measureLive, openSession, startBenchDesktop, type LiveSample } from './interactive-bench.ts';
import { waitUntil } from '../helpers/wait.ts';
import { readPssBytes, startSpicedesk } from './interactive/clients.ts';
import { median } from './measure.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '30' },
    'bin-b': { type: 'string' },
    'switches-a': { type: 'string', default: '' },
    'switches-b': { type: 'string', default: '' },
    'hash-a': { type: 'string', default: '' },
    'hash-b': { type: 'string', default: '' },
    'gateway-profile': { type: 'string' },
    threads: { type: 'string', default: '12' },
  },
});
const root = resolve('.');
const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== '');
const variants = [
  { label: 'A', cli: resolve('bin/spicedesk.cjs'), switches: words(values['switches-a']), hash: values['hash-a'] },
  { label: 'B', cli: resolve(values['bin-b'] ?? 'bin/spicedesk.cjs'), switches: words(values['switches-b']), hash: values['hash-b'] },
];
const rounds = Number(values.rounds);
const liveMs = Number(values.seconds) * 1000;
const profileDir = values['gateway-profile'] ? resolve(values['gateway-profile']) : undefined;
/** Runs the CLI named by $PROFILED_CLI under the inspector's profiler (--cpu-prof is refused in NODE_OPTIONS), writing to $PROFILE_DIR at exit. */
const PROFILED_CLI = join(mkdtempSync(join(tmpdir(), 'live-ab-')), 'profiled-cli.cjs');
writeFileSync(
  PROFILED_CLI,
  `'use strict';
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (err, res) => {
    if (!err) fs.writeFileSync(path.join(process.env.PROFILE_DIR, 'gateway-' + process.pid + '.cpuprofile'), JSON.stringify(res.profile));
  });
});
process.argv.splice(1, 1, process.env.PROFILED_CLI);
require(process.env.PROFILED_CLI);
`,
);

/** PSS in MiB by process kind (part, Chromium's --type and --utility-sub-type), summed over processes of one kind. */
function pssByProcess(roots: { pid: number; part: string }[]): Map<string, number> {
  const processes = allProcesses();
  // Chromium is a child of `spicedesk open`: a later root's tree wins, as in clientMemory.
  const partOf = new Map<number, { p: (typeof processes)[number]; part: string }>();
  for (const r of roots) for (const p of processTree(processes, r.pid)) partOf.set(p.pid, { p, part: r.part });
  const out = new Map<string, number>();
  {
    for (const { p, part } of partOf.values()) {
      let kind = part === 'chromium' ? p.type : part;
      try {
        const sub = /--utility-sub-type=([^\0 ]+)/.exec(readFileSync(`/proc/${p.pid}/cmdline`, 'utf8'))?.[1];
        if (sub) kind += ` ${sub}`;
      } catch {
        continue;
      }
      out.set(kind, (out.get(kind) ?? 0) + readPssBytes(p.pid) / 2 ** 20);
      out.set(`${kind} USS`, (out.get(`${kind} USS`) ?? 0) + readUssBytes(p.pid) / 2 ** 20);
    }
  }
  return out;
}

/** Private_Clean + Private_Dirty of smaps_rollup: what the process alone holds, whatever else shares its libraries (other agents' Chromium split the PSS of theirs). */
function readUssBytes(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kib = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(rollup)?.[1] ?? 0);
    return (kib('Private_Clean') + kib('Private_Dirty')) * 1024;
  } catch {
    return 0;
  }
}

interface Sample {
  label: string;
  pss: Map<string, number>;
  live: LiveSample;
  threads: Map<string, number>;
}
const samples: Sample[] = [];
const desktop = await startBenchDesktop(root);
try {
  for (let round = 0; round < rounds; round++) {
    for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
      let dir: string | undefined;
      if (profileDir) mkdirSync((dir = join(profileDir, `${v.label}-${round}`)), { recursive: true });
      // The last client's window may take a moment to go from the screen.
      await waitUntil('the last client gone from the screen', async () => (await desktop.env.probe.find(LAYOUT.glyph.bg, 6)).count === 0, 15_000);
      const session = await openSession(desktop.env, 'spicedesk', () =>
        startSpicedesk(desktop.env.setup, 'spicedesk', v.hash, v.switches, dir ? { cli: PROFILED_CLI, env: { PROFILED_CLI: v.cli, PROFILE_DIR: dir } } : { cli: v.cli }),
      );
      try {
        let t0: ThreadReadings = new Map();
        let t1: ThreadReadings = new Map();
        let startedAt = 0;
        let seconds = 0;
        let pss = new Map<string, number>();
        const live = await measureLive(desktop.env, session.client, session.mapping, liveMs, {
          start: () => {
            t0 = threadTicks(session.client.roots());
            startedAt = performance.now();
          },
          stop: () => {
            t1 = threadTicks(session.client.roots());
            seconds = (performance.now() - startedAt) / 1000;
            pss = pssByProcess(session.client.roots());
            // LIVE_AB_SMAPS=DIR: each renderer's smaps at the end of the window, to see what holds its memory.
            const smapsDir = process.env.LIVE_AB_SMAPS;
            if (smapsDir) {
              const processes = allProcesses();
              for (const r of session.client.roots()) {
                for (const p of processTree(processes, r.pid)) {
                  if (p.type !== 'renderer') continue;
                  try {
                    writeFileSync(join(smapsDir, `${v.label}-${round}-renderer-${p.pid}.smaps`), readFileSync(`/proc/${p.pid}/smaps`, 'utf8'));
                  } catch {
                    // gone
                  }
                }
              }
            }
          },
        });
        const threads = new Map([...threadCpuBetween(t0, t1)].map(([name, s]) => [name, s / seconds]));
        samples.push({ label: v.label, live, threads, pss });
        const parts = Object.entries(live.cpuByPart).map(([p, c]) => `${p} ${c.toFixed(3)}`).join(', ');
        const pssParts = Object.entries(live.peakPssByPartMiB).map(([p, m]) => `${p} ${m.toFixed(0)}`).join(', ');
        console.log(`round ${round + 1} ${v.label}: CPU ${live.cpuPerSecond.toFixed(3)} s/s (${parts}), box ${live.moverFps.toFixed(1)} fps, scroll ${live.scrollFps.toFixed(1)} fps, Xvfb ${live.xvfbCpuPerSecond.toFixed(3)}, peak PSS ${live.peakPssMiB.toFixed(0)} MiB (${pssParts}), RSS ${live.peakRssMiB.toFixed(0)}`);
      } finally {
        await closeSession(desktop.env, session.client);
      }
    }
  }
} finally {
  await desktop.stop();
}

const top = Number(values.threads);
for (const v of variants) {
  const mine = samples.filter((s) => s.label === v.label);
  if (mine.length === 0) continue;
  const m = (f: (l: LiveSample) => number): string => median(mine.map((s) => f(s.live))).toFixed(3);
  const parts = [...new Set(mine.flatMap((s) => Object.keys(s.live.cpuByPart)))];
  const pssParts = [...new Set(mine.flatMap((s) => Object.keys(s.live.peakPssByPartMiB)))];
  console.log(`\n## ${v.label}: ${v.cli} ${v.hash} ${v.switches.join(' ')}`);
  console.log(`medians of ${mine.length}: CPU ${m((l) => l.cpuPerSecond)} s/s (${parts.map((p) => `${p} ${m((l) => l.cpuByPart[p] ?? 0)}`).join(', ')}), box ${m((l) => l.moverFps)} fps, scroll ${m((l) => l.scrollFps)} fps, Xvfb ${m((l) => l.xvfbCpuPerSecond)}`);
  console.log(`peak PSS MiB median ${m((l) => l.peakPssMiB)} (${pssParts.map((p) => `${p} ${m((l) => l.peakPssByPartMiB[p] ?? 0)}`).join(', ')}), max ${Math.max(...mine.map((s) => s.live.peakPssMiB)).toFixed(0)}`);
  const kinds = [...new Set(mine.flatMap((s) => [...s.pss.keys()]))];
  const total = (s: Sample, uss: boolean): number => [...s.pss].filter(([k]) => k.endsWith(' USS') === uss).reduce((a, [, v]) => a + v, 0);
  console.log(`at the end, all processes: PSS ${median(mine.map((s) => total(s, false))).toFixed(0)} MiB, USS ${median(mine.map((s) => total(s, true))).toFixed(0)} MiB (per round: ${mine.map((s) => `${total(s, false).toFixed(0)}/${total(s, true).toFixed(0)}`).join(' ')})`);
  console.log(`PSS MiB at the end by process: ${kinds.map((k) => `${k} ${median(mine.map((s) => s.pss.get(k) ?? 0)).toFixed(0)}`).join(', ')}`);
  const names = [...new Set(mine.flatMap((s) => [...s.threads.keys()]))];
  const rows = names.map((n) => [n, median(mine.map((s) => s.threads.get(n) ?? 0))] as const).sort((a, b) => b[1] - a[1]);
  for (const [n, c] of rows.slice(0, top)) console.log(`${c.toFixed(3).padStart(8)} s/s  ${n}`);
}
if (profileDir) {
  for (const d of readdirSync(profileDir).sort()) {
    const file = readdirSync(join(profileDir, d)).find((f) => f.endsWith('.cpuprofile'));
    if (!file) continue;
    type Node = { callFrame: { functionName: string; url?: string; lineNumber: number }; hitCount: number };
    const prof = JSON.parse(readFileSync(join(profileDir, d, file), 'utf8')) as { nodes: Node[]; startTime: number; endTime: number };
    const wall = (prof.endTime - prof.startTime) / 1e6;
    const interval = wall / Math.max(1, prof.nodes.reduce((s, n) => s + n.hitCount, 0));
    const self = new Map<string, number>();
    for (const n of prof.nodes) {
      const name = `${n.callFrame.functionName || '(anonymous)'} ${(n.callFrame.url ?? '').split('/').pop()}:${n.callFrame.lineNumber}`;
      if (name.startsWith('(idle)')) continue;
      self.set(name, (self.get(name) ?? 0) + n.hitCount * interval * 1000);
    }
    console.log(`\n## gateway ${d} (${wall.toFixed(1)} s, the whole session)`);
    for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(ms / wall).toFixed(2).padStart(8)} ms/s  ${name}`);
  }
}
