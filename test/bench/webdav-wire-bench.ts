// Folder sharing's throughput with the client as the only bottleneck: the webdav bench's copies
// (a 64 MiB file into the shared folder with PUT, and back with GET), but the guest's side of the
// webdav channel is a script (peers/webdav-mux-guest.ts on the fake session) that writes as fast
// as the client's socket takes it, where the webdav bench's TCG guest copies at 20-40 MiB/s for
// both clients. spicedesk (`do TARGET wait --spice-shared-dir DIR`) and spicy
// (`--spice-shared-dir=DIR` in xvfb-run) take turns, a fresh server and client process each round.
//
// Measured per copy: wall time from the request's first byte to the response's last (MiB/s) and
// the client's CPU (each thread's time on a CPU from /proc's schedstat, in ns, over its process
// tree; spicy's includes xvfb-run's idle Xvfb; a thread that ends during a copy takes its time
// with it, which if anything counts spicy low) per MiB. This script's own CPU share is printed:
// near a whole core, it set the pace (the GET's bytes are compared as they come, not hashed).
// Each copy is checked: the host file is the source byte for byte (SHA-256), and so is the GET.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeCpuNs } from '../helpers/proc-tree.ts';
import { waitUntil } from '../helpers/wait.ts';
import { drawFill, displayMessages, startFakeSession, surfaceCreate } from '../peers/fake-session.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { requireTool } from '../peers/require-tool.ts';
import { CHANNEL_WEBDAV, WebdavMuxGuest } from '../peers/webdav-mux-guest.ts';
import { formatTable, median } from './measure.ts';

const FILE_MIB = 64;
const WARM_UP_MIB = 8;
/** Copies after the first, per client process (as the webdav bench). */
const LATER_COPIES = 3;
const MAX_ROUNDS = 5;
const CHANNEL_DISPLAY = 2;

export interface WireCopy {
  mibPerS: number;
  cpuMsPerMib: number;
}

export interface WireCopies {
  put: WireCopy;
  get: WireCopy;
}

export interface WireClientSummary {
  name: string;
  rounds: number;
  first: WireCopies;
  later: WireCopies;
}

export interface WebdavWireBenchResult {
  bench: 'webdav-wire';
  fileMib: number;
  spicedesk: WireClientSummary;
  spicy: WireClientSummary;
  loadAverage: string;
  table: string;
}

interface Client {
  name: string;
  start(port: number, dir: string): GroupProcess;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A body written in 1 MiB pieces, each as the socket takes it. */
function bodyOf(data: Buffer): { size: number; write: (send: (bytes: Buffer) => Promise<void>) => Promise<void> } {
  return {
    size: data.length,
    write: async (send) => {
      for (let at = 0; at < data.length; at += 1 << 20) await send(data.subarray(at, Math.min(data.length, at + (1 << 20))));
    },
  };
}

/**
 * Wall time, the client's CPU and this script's own (the server's side), from now to `end()`: a
 * copy where the script was busy all along measured the script, not the client.
 */
function measure(pid: number): { end(): { seconds: number; cpu: number; serverShare: number } } {
  const started = process.hrtime.bigint();
  const clientNs = treeCpuNs(pid);
  const server = process.cpuUsage();
  return {
    end() {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const own = process.cpuUsage(server);
      const serverShare = (own.user + own.system) / 1e6 / seconds;
      serverShares.push(serverShare);
      return { seconds, cpu: (treeCpuNs(pid) - clientNs) / 1e9, serverShare };
    },
  };
}

/** This script's CPU share of each copy's wall time (printed: near 1, the script set the pace). */
const serverShares: number[] = [];

async function copyRound(client: Client, source: Buffer, warm: Buffer): Promise<{ first: WireCopies; later: WireCopies[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'spicedesk-webdav-wire-'));
  let guest: WebdavMuxGuest | undefined;
  const server = await startFakeSession({
    channels: [
      [CHANNEL_DISPLAY, 0],
      [CHANNEL_WEBDAV, 0],
    ],
    recordAfterLink: false,
    onDisplay(d) {
      // A first frame, for a client that waits for one.
      d.send(displayMessages.SURFACE_CREATE, surfaceCreate(0, 64, 48));
      d.send(displayMessages.DRAW_FILL, drawFill(0, { left: 0, top: 0, right: 64, bottom: 48 }, 0x336699));
      d.send(displayMessages.MARK, Buffer.alloc(0));
    },
    onChannel(type, channel) {
      if (type === CHANNEL_WEBDAV) guest = new WebdavMuxGuest(channel);
    },
  });
  const proc = client.start(server.port, dir);
  try {
    await waitUntil(`${client.name} to link the webdav channel`, () => guest !== undefined, 30_000, { explain: () => proc.outputTail() });
    const dav = guest!;
    // The share answers once the client has taken the folder (spicy: after its window is up).
    await waitUntil(
      `${client.name}'s shared folder to answer`,
      async () => (await dav.request('PROPFIND / HTTP/1.1\r\nHost: localhost\r\nDepth: 0\r\nContent-Length: 0\r\n\r\n')).status === 207,
      30_000,
      { explain: () => proc.outputTail() },
    );
    const put = async (name: string, data: Buffer): Promise<WireCopy> => {
      const m = measure(proc.pid);
      const r = await dav.request(`PUT /${name} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${data.length}\r\n\r\n`, bodyOf(data));
      const { seconds, cpu } = m.end();
      if (r.status !== 201 && r.status !== 204) throw new Error(`${client.name}: PUT /${name} answered ${r.status}\n${proc.outputTail()}`);
      const onHost = readFileSync(join(dir, name));
      if (sha(onHost) !== sha(data)) throw new Error(`${client.name}: the host's ${name} (${onHost.length} bytes) is not what was PUT (${data.length})`);
      return { mibPerS: data.length / 2 ** 20 / seconds, cpuMsPerMib: (cpu * 1000) / (data.length / 2 ** 20) };
    };
    const get = async (name: string, data: Buffer): Promise<WireCopy> => {
      // Compared as it comes (a memcmp): a hash here would make this script the bottleneck.
      let size = 0;
      let same = true;
      const m = measure(proc.pid);
      const r = await dav.request(`GET /${name} HTTP/1.1\r\nHost: localhost\r\n\r\n`, undefined, (bytes) => {
        same &&= size + bytes.length <= data.length && data.compare(bytes, 0, bytes.length, size, size + bytes.length) === 0;
        size += bytes.length;
      });
      const { seconds, cpu } = m.end();
      if (r.status !== 200) throw new Error(`${client.name}: GET /${name} answered ${r.status}\n${proc.outputTail()}`);
      if (size !== data.length || !same) throw new Error(`${client.name}: GET /${name} gave ${size} bytes${same ? '' : ' that differ'}, not the ${data.length} PUT`);
      return { mibPerS: data.length / 2 ** 20 / seconds, cpuMsPerMib: (cpu * 1000) / (data.length / 2 ** 20) };
    };
    await put('warm.bin', warm);
    await get('warm.bin', warm);
    const both = async (i: number): Promise<WireCopies> => {
      const name = `bench-${i}.bin`;
      const copies = { put: await put(name, source), get: await get(name, source) };
      rmSync(join(dir, name));
      return copies;
    };
    const first = await both(0);
    const later: WireCopies[] = [];
    for (let i = 1; i <= LATER_COPIES; i++) later.push(await both(i));
    const line = (c: WireCopies): string => `put ${c.put.mibPerS.toFixed(0)} MiB/s ${c.put.cpuMsPerMib.toFixed(2)} ms/MiB, get ${c.get.mibPerS.toFixed(0)} MiB/s ${c.get.cpuMsPerMib.toFixed(2)} ms/MiB`;
    const busiest = Math.max(...serverShares.splice(0));
    console.log(`  ${client.name}: first ${line(first)}; later ${later.map(line).join(' | ')}; this script's busiest copy ${(busiest * 100).toFixed(0)} % of a core; load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`);
    return { first, later };
  } finally {
    await proc.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runWebdavWireBench(options: { runs: number; root: string; cpuProfDir?: string }): Promise<WebdavWireBenchResult> {
  const rounds = Math.min(options.runs, MAX_ROUNDS);
  // --cpu-prof DIR: spicedesk writes a V8 CPU profile per round (node --cpu-prof writes it at exit,
  // which a SIGTERM does not allow: a preloaded handler turns the signal into an exit).
  const profile: string[] = [];
  if (options.cpuProfDir) {
    mkdirSync(options.cpuProfDir, { recursive: true });
    const exitOnTerm = join(options.cpuProfDir, 'exit-on-sigterm.cjs');
    writeFileSync(exitOnTerm, "process.on('SIGTERM', () => process.exit(0));\n");
    profile.push('--require', exitOnTerm, '--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  }
  const spicy = requireTool('spicy', 'spice-client-gtk');
  const xvfbRun = requireTool('xvfb-run', 'xvfb');
  const source = randomBytes(FILE_MIB << 20);
  const warm = randomBytes(WARM_UP_MIB << 20);
  const clients: Client[] = [
    {
      name: 'spicedesk',
      start: (port, dir) =>
        spawnGroup(process.execPath, [...profile, join(options.root, 'dist/cli.cjs'), 'do', `spice://127.0.0.1:${port}`, 'wait', '3600', '--spice-shared-dir', dir, '--timeout', '20'], {
          name: 'spicedesk do wait',
          env: { ...process.env, SPICE_PASSWORD: undefined },
        }),
    },
    { name: 'spicy', start: (port, dir) => spawnGroup(xvfbRun, ['-a', spicy, '-h', '127.0.0.1', '-p', String(port), `--spice-shared-dir=${dir}`], { name: 'spicy' }) },
  ];
  const got = new Map<string, { first: WireCopies; later: WireCopies[] }[]>(clients.map((c) => [c.name, []]));
  // Alternating, and the other client first in every other round.
  for (let i = 0; i < rounds; i++) for (const c of i % 2 === 0 ? clients : [...clients].reverse()) got.get(c.name)!.push(await copyRound(c, source, warm));
  const medians = (copies: WireCopies[]): WireCopies => {
    const med = (pick: (r: WireCopies) => number): number => median(copies.map(pick));
    return {
      put: { mibPerS: med((r) => r.put.mibPerS), cpuMsPerMib: med((r) => r.put.cpuMsPerMib) },
      get: { mibPerS: med((r) => r.get.mibPerS), cpuMsPerMib: med((r) => r.get.cpuMsPerMib) },
    };
  };
  const summary = (name: string): WireClientSummary => {
    const runs = got.get(name) ?? [];
    return { name, rounds: runs.length, first: medians(runs.map((r) => r.first)), later: medians(runs.flatMap((r) => r.later)) };
  };
  const a = summary('spicedesk');
  const b = summary('spicy');
  const f = (n: number, digits = 1): string => n.toFixed(digits);
  const r = (x: number, y: number): string => (x / y).toFixed(2);
  const table = formatTable(
    ['client', 'copies', 'into the folder MiB/s', 'CPU ms/MiB', 'out of it MiB/s', 'CPU ms/MiB', 'vs spicy: put MiB/s, CPU; get MiB/s, CPU'],
    [a, b].flatMap((s) =>
      (['first', 'later'] as const).map((kind) => {
        const c = s[kind];
        const p = b[kind];
        const count = kind === 'first' ? s.rounds : s.rounds * LATER_COPIES;
        return [s.name, `${kind} (${count})`, f(c.put.mibPerS), f(c.put.cpuMsPerMib, 2), f(c.get.mibPerS), f(c.get.cpuMsPerMib, 2), `${r(c.put.mibPerS, p.put.mibPerS)} ${r(c.put.cpuMsPerMib, p.put.cpuMsPerMib)}; ${r(c.get.mibPerS, p.get.mibPerS)} ${r(c.get.cpuMsPerMib, p.get.cpuMsPerMib)}`];
      }),
    ),
  );
  const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return { bench: 'webdav-wire', fileMib: FILE_MIB, spicedesk: a, spicy: b, loadAverage, table: `${table}\n\nload average at the end: ${loadAverage}` };
}
