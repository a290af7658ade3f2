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
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeCpuNs } from '../helpers/proc-tree.ts';
import { waitUntil } from '../helpers/wait.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { requireTool } from '../peers/require-tool.ts';
import { bodyInPieces, startWebdavWireSession } from '../peers/webdav-mux-guest.ts';
import { copiesTable, FILE_MIB, LATER_COPIES, summarizeCopies, WARM_UP_MIB, type WebdavClientSummary, type WebdavCopies, type WebdavCopy } from './webdav-bench.ts';
import { cpuProfileArgs } from './bench-peers.ts';

const MAX_ROUNDS = 5;

export interface WebdavWireBenchResult {
  bench: 'webdav-wire';
  fileMib: number;
  spicedesk: WebdavClientSummary;
  spicy: WebdavClientSummary;
  baseline?: WebdavClientSummary;
  loadAverage: string;
  table: string;
}

interface Client {
  name: string;
  start(port: number, dir: string): GroupProcess;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

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

async function copyRound(client: Client, source: Buffer, warm: Buffer): Promise<{ first: WebdavCopies; later: WebdavCopies[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'spicedesk-webdav-wire-'));
  const { server, guest } = await startWebdavWireSession();
  const proc = client.start(server.port, dir);
  try {
    await waitUntil(`${client.name} to link the webdav channel`, () => guest() !== undefined, 30_000, { explain: () => proc.outputTail() });
    const dav = guest()!;
    // The share answers once the client has taken the folder (spicy: after its window is up).
    await waitUntil(
      `${client.name}'s shared folder to answer`,
      async () => (await dav.request('PROPFIND / HTTP/1.1\r\nHost: localhost\r\nDepth: 0\r\nContent-Length: 0\r\n\r\n')).status === 207,
      30_000,
      { explain: () => proc.outputTail() },
    );
    const put = async (name: string, data: Buffer): Promise<WebdavCopy> => {
      const m = measure(proc.pid);
      const r = await dav.request(`PUT /${name} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${data.length}\r\n\r\n`, bodyInPieces(data));
      const { seconds, cpu } = m.end();
      if (r.status !== 201 && r.status !== 204) throw new Error(`${client.name}: PUT /${name} answered ${r.status}\n${proc.outputTail()}`);
      const onHost = readFileSync(join(dir, name));
      if (sha(onHost) !== sha(data)) throw new Error(`${client.name}: the host's ${name} (${onHost.length} bytes) is not what was PUT (${data.length})`);
      return { mibPerS: data.length / 2 ** 20 / seconds, cpuMsPerMib: (cpu * 1000) / (data.length / 2 ** 20) };
    };
    const get = async (name: string, data: Buffer): Promise<WebdavCopy> => {
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
    const both = async (i: number): Promise<WebdavCopies> => {
      const name = `bench-${i}.bin`;
      const copies = { put: await put(name, source), get: await get(name, source) };
      rmSync(join(dir, name));
      return copies;
    };
    const first = await both(0);
    const later: WebdavCopies[] = [];
    for (let i = 1; i <= LATER_COPIES; i++) later.push(await both(i));
    const line = (c: WebdavCopies): string => `put ${c.put.mibPerS.toFixed(0)} MiB/s ${c.put.cpuMsPerMib.toFixed(2)} ms/MiB, get ${c.get.mibPerS.toFixed(0)} MiB/s ${c.get.cpuMsPerMib.toFixed(2)} ms/MiB`;
    const busiest = Math.max(...serverShares.splice(0));
    console.log(`  ${client.name}: first ${line(first)}; later ${later.map(line).join(' | ')}; this script's busiest copy ${(busiest * 100).toFixed(0)} % of a core; load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`);
    return { first, later };
  } finally {
    await proc.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runWebdavWireBench(options: { runs: number; root: string; webdavBaseline?: string; cpuProfDir?: string }): Promise<WebdavWireBenchResult> {
  const rounds = Math.min(options.runs, MAX_ROUNDS);
  // --cpu-prof DIR: a V8 CPU profile of each spicedesk client process.
  const profile = cpuProfileArgs(options.cpuProfDir)('spicedesk');
  const spicy = requireTool('spicy', 'spice-client-gtk');
  const xvfbRun = requireTool('xvfb-run', 'xvfb');
  const source = randomBytes(FILE_MIB << 20);
  const warm = randomBytes(WARM_UP_MIB << 20);
  const spicedeskClient = (name: string, cli: string): Client => ({
    name,
    start: (port, dir) =>
      spawnGroup(process.execPath, [...profile, cli, 'do', `spice://127.0.0.1:${port}`, 'wait', '3600', '--spice-shared-dir', dir, '--timeout', '20'], {
        name: `${name} do wait`,
        env: { ...process.env, SPICE_PASSWORD: undefined },
      }),
  });
  const clients: Client[] = [
    spicedeskClient('spicedesk', join(options.root, 'dist/cli.cjs')),
    // --webdav-baseline OTHER/dist/cli.cjs: another build in the same rounds, for a before/after.
    ...(options.webdavBaseline ? [spicedeskClient('spicedesk baseline', options.webdavBaseline)] : []),
    { name: 'spicy', start: (port, dir) => spawnGroup(xvfbRun, ['-a', spicy, '-h', '127.0.0.1', '-p', String(port), `--spice-shared-dir=${dir}`], { name: 'spicy' }) },
  ];
  const got = new Map<string, { first: WebdavCopies; later: WebdavCopies[] }[]>(clients.map((c) => [c.name, []]));
  // Alternating, and the other client first in every other round.
  for (let i = 0; i < rounds; i++) for (const c of i % 2 === 0 ? clients : [...clients].reverse()) got.get(c.name)!.push(await copyRound(c, source, warm));
  const a = summarizeCopies('spicedesk', got.get('spicedesk') ?? []);
  const b = summarizeCopies('spicy', got.get('spicy') ?? []);
  const baseline = options.webdavBaseline ? summarizeCopies('spicedesk baseline', got.get('spicedesk baseline') ?? []) : undefined;
  const table = copiesTable([a, ...(baseline ? [baseline] : []), b], b, ['into the folder MiB/s', 'out of it MiB/s'], 2);
  const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return { bench: 'webdav-wire', fileMib: FILE_MIB, spicedesk: a, spicy: b, baseline, loadAverage, table: `${table}\n\nload average at the end: ${loadAverage}` };
}
