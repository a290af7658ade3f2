// CPU time of a client's processes, from /proc, by part: Chromium's whole tree split into its
// renderer, GPU and other processes, and any other root (the gateway, websockify, remote-viewer,
// Xvfb, the sound server) as its own part; and by thread, for finding which thread of one client
// costs more than the same thread of another. Shared by the browser benches (video, audio) and the
// profiling tools (page-profile, live-ab).
import { allProcesses, CLOCK_TICKS_PER_SECOND, processTree, threadsOf } from '../helpers/proc-tree.ts';
import { formatTable } from './measure.ts';

export interface CpuReading {
  ticks: number;
  part: string;
}

/** CPU ticks of every process under the roots, each with its part (the root's name, or Chromium's process type). */
export function cpuTicks(roots: readonly { pid: number; part: string }[]): Map<number, CpuReading> {
  const processes = allProcesses();
  const ticks = new Map<number, CpuReading>();
  for (const root of roots) {
    for (const p of processTree(processes, root.pid)) {
      const part = root.part === 'chromium' ? `chromium ${p.type === 'renderer' || p.type === 'gpu-process' ? p.type : 'other'}` : root.part;
      ticks.set(p.pid, { ticks: p.ticks, part });
    }
  }
  return ticks;
}

/** CPU seconds between two readings, by part; a process born in between counts from zero. */
export function cpuBetween(before: Map<number, CpuReading>, after: Map<number, CpuReading>): Record<string, number> {
  const parts: Record<string, number> = {};
  for (const [pid, r] of after) parts[r.part] = (parts[r.part] ?? 0) + (r.ticks - (before.get(pid)?.ticks ?? 0)) / CLOCK_TICKS_PER_SECOND;
  return parts;
}

export const sum = (parts: Record<string, number>): number => Object.values(parts).reduce((a, b) => a + b, 0);

/** Thread readings keyed pid:tid, each named by part (Chromium: its process type) and thread name, in clock ticks. */
export type ThreadReadings = Map<string, { name: string; ticks: number }>;

/** utime + stime of every thread under the roots. */
export function threadTicks(roots: readonly { pid: number; part: string }[]): ThreadReadings {
  const processes = allProcesses();
  const out: ThreadReadings = new Map();
  for (const r of roots) {
    for (const p of processTree(processes, r.pid)) {
      for (const t of threadsOf(p.pid)) out.set(`${p.pid}:${t.tid}`, { name: `${r.part === 'chromium' ? p.type : r.part} ${t.comm}`, ticks: t.ticks });
    }
  }
  return out;
}

/** CPU seconds between two readings by thread name (threads of one name summed); a thread born in between counts from zero. */
export function threadCpuBetween(before: ThreadReadings, after: ThreadReadings): Map<string, number> {
  const byName = new Map<string, number>();
  for (const [key, t] of after) {
    const d = (t.ticks - (before.get(key)?.ticks ?? 0)) / CLOCK_TICKS_PER_SECOND;
    if (d > 0) byName.set(t.name, (byName.get(t.name) ?? 0) + d);
  }
  return byName;
}

/**
 * Clients' CPU s/s by thread side by side (the benches' `..._THREADS=1` tables): the threads that
 * cost any column `minimum` or more, the costliest first.
 */
export function threadTable(columns: readonly { label: string; byThread: Record<string, number> }[], minimum = 0.002): string {
  const names = [...new Set(columns.flatMap((c) => Object.keys(c.byThread)))]
    .filter((name) => columns.some((c) => (c.byThread[name] ?? 0) >= minimum))
    .sort((a, b) => Math.max(...columns.map((c) => c.byThread[b] ?? 0)) - Math.max(...columns.map((c) => c.byThread[a] ?? 0)));
  return formatTable(['thread', ...columns.map((c) => c.label)], names.map((name) => [name, ...columns.map((c) => (c.byThread[name] ?? 0).toFixed(3))]));
}

/** One reading of a client's CPU, by process (for its parts) and by thread. */
export interface ClientCpuReading {
  processes: Map<number, CpuReading>;
  threads: ThreadReadings;
}

export function readClientCpu(roots: readonly { pid: number; part: string }[]): ClientCpuReading {
  return { processes: cpuTicks(roots), threads: threadTicks(roots) };
}

/** CPU seconds between two readings, by part and by thread name. */
export function clientCpuBetween(before: ClientCpuReading, after: ClientCpuReading): { byPart: Record<string, number>; byThread: Record<string, number> } {
  return { byPart: cpuBetween(before.processes, after.processes), byThread: Object.fromEntries(threadCpuBetween(before.threads, after.threads)) };
}

/** Per key (a part or a thread name, by default every key any sample has), the samples' median as `per` takes it. */
export function keyedMedians<S>(
  samples: readonly S[],
  pick: (s: S) => Record<string, number>,
  per: (f: (s: S) => number) => number,
  keys: readonly string[] = [...new Set(samples.flatMap((s) => Object.keys(pick(s))))],
): Record<string, number> {
  return Object.fromEntries(keys.map((key) => [key, per((s) => pick(s)[key] ?? 0)]));
}
