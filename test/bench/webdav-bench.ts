// Folder sharing's throughput: a Linux guest under QEMU (the guest peer's `webdav` set:
// spice-webdavd, curl) copies a 64 MiB file into the shared folder (PUT, guest -> client) and back
// (GET, client -> guest) through spicedesk (`do TARGET wait --spice-shared-dir DIR`) and through
// spice-gtk (`spicy --spice-shared-dir=DIR` in xvfb-run, as webdav-guest.test.ts runs it), the same
// guest in the same run, the clients taking turns (A B A B) so that load changes hit both alike.
//
// Measured per copy: wall time on this side around the guest's curl (MiB/s), and the client's CPU
// (time on a CPU of every thread of every process under it, from /proc's schedstat, in ns: for
// spicy that includes xvfb-run's Xvfb, which draws nothing here) per MiB. A thread that ends
// during a copy takes its time with it (GLib's pool threads may; Node's do not), which if
// anything counts spicy low. Each copy is checked: the host file equals the guest's, and
// the copy back equals it too (cmp in the guest), so a fast wrong answer cannot win.
//
// Each client process makes LATER_COPIES + 1 copies both ways after its warm-up, and both kinds
// are reported: the first 64 MiB copy, in which spicedesk's V8 still compiles the message path
// (TurboFan on its background threads: about 100 ms of CPU for the first PUT, more than a third
// of it), and the later ones, which are what a session that has been running pays per copy.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeCpuNs } from '../helpers/proc-tree.ts';
import { startGuest, type Guest } from '../peers/guest.ts';
import { GUEST_WEBDAV_PORT } from '../peers/guest/devices.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { requireTool } from '../peers/require-tool.ts';
import { formatTable, median } from './measure.ts';
import { cpuProfileArgs } from './bench-peers.ts';

export const FILE_MIB = 64;
/**
 * Each client first copies this much both ways, unmeasured (the first request of a connection, the
 * folder's first listing). It is too little for V8 to optimize anything: the first measured copy
 * is where spicedesk's compiling happens, which is why it is reported apart from the later ones.
 */
export const WARM_UP_MIB = 8;
/** Copies after the first, per client process; their median is the "later copies" figure. */
export const LATER_COPIES = 3;
const DAV = `http://127.0.0.1:${GUEST_WEBDAV_PORT}`;
/** A 64 MiB copy through TCG takes tens of seconds; more than a few rounds adds little. */
const MAX_ROUNDS = 3;

export interface WebdavCopy {
  mibPerS: number;
  cpuMsPerMib: number;
}

export interface WebdavCopies {
  put: WebdavCopy;
  get: WebdavCopy;
}

export interface WebdavClientSummary {
  name: string;
  rounds: number;
  /** The first 64 MiB copy of each client process (medians over the rounds). */
  first: WebdavCopies;
  /** The copies after it (medians over every such copy of every round). */
  later: WebdavCopies;
}

export interface WebdavBenchResult {
  bench: 'webdav';
  fileMib: number;
  spicedesk: WebdavClientSummary;
  spicy: WebdavClientSummary;
  /** Another build of spicedesk (--webdav-baseline) in the same rounds. */
  baseline?: WebdavClientSummary;
  loadAverage: string;
  table: string;
  failure?: string;
}

interface Client {
  name: string;
  start(dir: string): GroupProcess;
}


async function waitForShare(guest: Guest, client: GroupProcess): Promise<void> {
  const probe = `curl -s -m 3 -o /dev/null -w '%{http_code}' -X PROPFIND -H 'Depth: 0' ${DAV}/`;
  const r = await guest.run(`i=0; while [ $i -lt 200 ]; do [ "$(${probe})" = 207 ] && exit 0; i=$((i+1)); usleep 300000; done; exit 1`, { timeoutMs: 400_000 });
  if (r.status !== 0) throw new Error(`the shared folder never answered in the guest; the client's output:\n${client.outputTail()}`);
}

interface RoundCopies {
  first: WebdavCopies;
  later: WebdavCopies[];
}

async function copyRound(guest: Guest, client: Client, expectedSha: string): Promise<RoundCopies> {
  const dir = mkdtempSync(join(tmpdir(), 'spicedesk-webdav-bench-'));
  const proc = client.start(dir);
  try {
    await waitForShare(guest, proc);
    const copy = async (command: string): Promise<WebdavCopy> => {
      // In nanoseconds from each thread's schedstat: a GET's 60-70 ms of CPU is 6-7 ticks of 10 ms.
      const cpuNs = treeCpuNs(proc.pid);
      const started = process.hrtime.bigint();
      const r = await guest.run(command, { timeoutMs: 600_000 });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpuSeconds = (treeCpuNs(proc.pid) - cpuNs) / 1e9;
      if (r.status !== 0 || !['200', '201', '204'].includes(r.output.trim())) {
        throw new Error(`${client.name}: \`${command}\` gave ${r.status}: ${r.output}\n${proc.outputTail()}`);
      }
      return { mibPerS: FILE_MIB / seconds, cpuMsPerMib: (cpuSeconds * 1000) / FILE_MIB };
    };
    const warm = await guest.run(
      `curl -s -m 590 -H 'Expect:' -o /dev/null -w '%{http_code} ' -T /tmp/warm.bin ${DAV}/warm.bin && curl -s -m 590 -o /dev/null -w '%{http_code}' ${DAV}/warm.bin`,
      { timeoutMs: 600_000 },
    );
    if (warm.status !== 0 || !/^20[01] 200$/.test(warm.output.trim())) throw new Error(`${client.name}: the warm-up copy gave ${warm.status}: ${warm.output}\n${proc.outputTail()}`);
    const both = async (i: number): Promise<WebdavCopies> => {
      const name = `bench-${i}.bin`;
      await guest.run('rm -f /tmp/back.bin');
      const put = await copy(`curl -s -m 590 -H 'Expect:' -o /dev/null -w '%{http_code}' -T /tmp/src.bin ${DAV}/${name}`);
      const hostFile = join(dir, name);
      const hostSha = (): string => createHash('sha256').update(readFileSync(hostFile)).digest('hex');
      if (hostSha() !== expectedSha) {
        const size = statSync(hostFile).size;
        const guestSize = (await guest.run('wc -c < /tmp/src.bin')).output.trim();
        throw new Error(`${client.name}: the host's copy ${i} (${size} bytes, sha256 ${hostSha()}) is not the guest's file (${guestSize} bytes, ${expectedSha})`);
      }
      const get = await copy(`curl -s -m 590 -o /tmp/back.bin -w '%{http_code}' ${DAV}/${name}`);
      const same = await guest.run('cmp /tmp/src.bin /tmp/back.bin && echo same');
      if (!/same/.test(same.output)) throw new Error(`${client.name}: copy ${i} back differs: ${same.output}`);
      rmSync(hostFile);
      return { put, get };
    };
    const first = await both(0);
    const later: WebdavCopies[] = [];
    for (let i = 1; i <= LATER_COPIES; i++) later.push(await both(i));
    // Each round's numbers, for the log: a median of 3 hides a round that the load slowed.
    const line = (c: WebdavCopies): string =>
      `put ${c.put.mibPerS.toFixed(1)} MiB/s ${c.put.cpuMsPerMib.toFixed(1)} ms/MiB, get ${c.get.mibPerS.toFixed(1)} MiB/s ${c.get.cpuMsPerMib.toFixed(1)} ms/MiB`;
    console.log(`  ${client.name}: first ${line(first)}; later ${later.map(line).join(' | ')}; load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`);
    return { first, later };
  } finally {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A client's rounds: the first copy of each, and the median of every later copy. */
export function summarizeCopies(name: string, runs: readonly { first: WebdavCopies; later: readonly WebdavCopies[] }[]): WebdavClientSummary {
  const medians = (copies: readonly WebdavCopies[]): WebdavCopies => {
    const med = (pick: (r: WebdavCopies) => number): number => median(copies.map(pick));
    return {
      put: { mibPerS: med((r) => r.put.mibPerS), cpuMsPerMib: med((r) => r.put.cpuMsPerMib) },
      get: { mibPerS: med((r) => r.get.mibPerS), cpuMsPerMib: med((r) => r.get.cpuMsPerMib) },
    };
  };
  return { name, rounds: runs.length, first: medians(runs.map((r) => r.first)), later: medians(runs.flatMap((r) => r.later)) };
}

/** The table of both benches: each client's first and later copies, and their ratios to `peer`'s. */
export function copiesTable(rows: readonly WebdavClientSummary[], peer: WebdavClientSummary, directions: readonly [put: string, get: string], cpuDigits: number): string {
  const f = (n: number, digits = 1): string => n.toFixed(digits);
  const r = (x: number, y: number): string => (x / y).toFixed(2);
  return formatTable(
    ['client', 'copies', directions[0], 'CPU ms/MiB', directions[1], 'CPU ms/MiB', 'vs spicy: put MiB/s, CPU; get MiB/s, CPU'],
    rows.flatMap((s) =>
      (['first', 'later'] as const).map((kind) => {
        const c = s[kind];
        const p = peer[kind];
        const count = kind === 'first' ? s.rounds : s.rounds * LATER_COPIES;
        return [s.name, `${kind} (${count})`, f(c.put.mibPerS), f(c.put.cpuMsPerMib, cpuDigits), f(c.get.mibPerS), f(c.get.cpuMsPerMib, cpuDigits), `${r(c.put.mibPerS, p.put.mibPerS)} ${r(c.put.cpuMsPerMib, p.put.cpuMsPerMib)}; ${r(c.get.mibPerS, p.get.mibPerS)} ${r(c.get.cpuMsPerMib, p.get.cpuMsPerMib)}`];
      }),
    ),
  );
}

export async function runWebdavBench(options: { runs: number; root: string; webdavBaseline?: string; cpuProfDir?: string }): Promise<WebdavBenchResult> {
  const rounds = Math.min(options.runs, MAX_ROUNDS);
  const spicy = requireTool('spicy', 'spice-client-gtk');
  const xvfbRun = requireTool('xvfb-run', 'xvfb');
  const guest = await startGuest({ devices: ['webdav'], bootTimeoutMs: 180_000 });
  try {
    const made = await guest.run(
      `dd if=/dev/urandom of=/tmp/warm.bin bs=1048576 count=${WARM_UP_MIB} 2>/dev/null && dd if=/dev/urandom of=/tmp/src.bin bs=1048576 count=${FILE_MIB} 2>/dev/null && sha256sum /tmp/src.bin`,
      { timeoutMs: 300_000 },
    );
    const expectedSha = /^([0-9a-f]{64})/.exec(made.output.trim())?.[1];
    if (!expectedSha) throw new Error(`making the guest's file failed: ${made.output}`);
    const profile = cpuProfileArgs(options.cpuProfDir);
    const spicedeskClient = (name: string, cli: string[]): Client => ({
      name,
      start: (dir) =>
        spawnGroup(process.execPath, [...profile(name.replace(/\W+/g, '-')), ...cli, 'do', `spice://127.0.0.1:${guest.port}`, 'wait', '3600', '--spice-shared-dir', dir, '--timeout', '20'], {
          name: `${name} do wait`,
          env: { ...process.env, SPICE_PASSWORD: undefined },
        }),
    });
    const clients: Client[] = [
      // dist/cli.cjs itself, not bin/spicedesk.cjs: the same way as the baseline's build (the code cache only shortens start-up).
      spicedeskClient('spicedesk', [join(options.root, 'dist/cli.cjs')]),
      ...(options.webdavBaseline ? [spicedeskClient('spicedesk baseline', [options.webdavBaseline])] : []),
      { name: 'spicy', start: (dir) => spawnGroup(xvfbRun, ['-a', spicy, '-h', '127.0.0.1', '-p', String(guest.port), `--spice-shared-dir=${dir}`], { name: 'spicy' }) },
    ];
    const got = new Map<string, RoundCopies[]>(clients.map((c) => [c.name, []]));
    for (let i = 0; i < rounds; i++) for (const c of clients) got.get(c.name)?.push(await copyRound(guest, c, expectedSha));
    const a = summarizeCopies('spicedesk', got.get('spicedesk') ?? []);
    const b = summarizeCopies('spicy', got.get('spicy') ?? []);
    const baseline = options.webdavBaseline ? summarizeCopies('spicedesk baseline', got.get('spicedesk baseline') ?? []) : undefined;
    const table = copiesTable([a, ...(baseline ? [baseline] : []), b], b, ['guest->folder MiB/s', 'folder->guest MiB/s'], 1);
    const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    return { bench: 'webdav', fileMib: FILE_MIB, spicedesk: a, spicy: b, baseline, loadAverage, table: `${table}\n\nload average at the end: ${loadAverage}` };
  } finally {
    await guest.stop();
  }
}
