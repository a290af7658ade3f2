// Processes read from /proc: for the benchmarks' CPU time and the soak's memory, per process tree
// (Chromium's browser with its renderer and GPU processes, or the gateway).
import { readdirSync, readFileSync } from 'node:fs';

export const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux; /proc/PID/stat counts in these
const PAGE_BYTES = 4096;

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** Resident set size in bytes. */
  rssBytes: number;
  argv0: string;
  /** Chromium's --type= (renderer, gpu-process, utility, ...), or 'browser' when there is none. */
  type: string;
}

export function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces; the fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Chromium rewrites the command line of the processes its zygote forks (one string, spaces).
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return {
      pid,
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
      rssBytes: Number(fields[21]) * PAGE_BYTES,
      argv0: cmdline.split(/[\0 ]/)[0] ?? '',
      type: /(?:^|[\0 ])--type=([^\0 ]+)/.exec(cmdline)?.[1] ?? 'browser',
    };
  } catch {
    return undefined; // gone between the listing and the read
  }
}

export function allProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) out.push(p);
  }
  return out;
}

/** The processes of the tree under (and including) `root`. */
export function processTree(processes: readonly ProcInfo[], root: number): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const queue = processes.filter((p) => p.pid === root);
  while (queue.length) {
    const p = queue.shift() as ProcInfo;
    out.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

/** The one Chromium that playwright-core started from this process. */
export function chromiumPid(): number {
  const browsers = allProcesses().filter((p) => p.ppid === process.pid && /chromium/.test(p.argv0) && p.type === 'browser');
  if (browsers.length !== 1) throw new Error(`expected one Chromium started by this process, found ${browsers.length}`);
  return browsers[0]!.pid;
}

/** One thread of a process: its id, its name (comm) and utime + stime in clock ticks. */
export interface ThreadInfo {
  tid: string;
  comm: string;
  ticks: number;
}

/** The threads of a process as /proc lists them now; none when it is gone (threads ending meanwhile are left out). */
export function threadsOf(pid: number): ThreadInfo[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: ThreadInfo[] = [];
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ tid, comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/**
 * CPU time of a process tree in nanoseconds, from each thread's /proc schedstat (time on a CPU):
 * ticks of 10 ms are too coarse for a copy that takes 30 ms of CPU. Threads that ended since the
 * last reading are not in it, so compare two readings of long-lived processes only.
 */
export function treeCpuNs(root: number): number {
  let ns = 0;
  for (const p of processTree(allProcesses(), root)) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${p.pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        ns += Number(readFileSync(`/proc/${p.pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
  }
  return ns;
}
