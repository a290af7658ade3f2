// The monitor mapping: which client monitor shows which guest head, in virt-viewer's notation
// (`monitor-mapping=1:2;2:1` in its settings file, group = the VM's UUID). Both numbers count from
// 1; the list must name every head from 1 up to the highest one (no gaps), and no head or monitor
// twice. virt-viewer ignores a whole mapping that names a monitor the client does not have and
// falls back to its default (head N on monitor N); resolveMapping does the same, and says why.
import { SpiceError } from '../wire/errors.ts';

/** The most heads spicedesk opens windows for (the limit; QXL drivers offer up to 4 too). */
export const MAX_MAPPED_HEADS = 4;
/** Monitor numbers beyond this are a typo, not a desk. */
const MAX_MONITOR = 64;

/** Guest head (0-based) -> client monitor (0-based), one entry per head from 0 up. */
export type MonitorMapping = readonly number[];

/**
 * Parses `D:M;D:M...` (a trailing `;` is allowed, as GKeyFile writes lists). Throws a usage error
 * naming the entry that is wrong; numbers are plain decimal digits.
 */
export function parseMonitorMapping(text: string): MonitorMapping {
  const entries = text.split(';').map((e) => e.trim());
  if (entries.length > 1 && entries[entries.length - 1] === '') entries.pop();
  if (entries.length === 0 || entries.every((e) => e === '')) throw mappingError(text, 'it is empty; write GUEST-HEAD:CLIENT-MONITOR pairs such as 1:1;2:2');
  const byHead = new Map<number, number>();
  const monitorsUsed = new Set<number>();
  for (const entry of entries) {
    const m = /^(\d{1,3}):(\d{1,3})$/.exec(entry);
    if (!m) throw mappingError(text, `"${entry}" is not GUEST-HEAD:CLIENT-MONITOR (two numbers from 1, such as 2:1)`);
    const head = Number(m[1]);
    const monitor = Number(m[2]);
    if (head < 1 || head > MAX_MAPPED_HEADS) throw mappingError(text, `guest head ${head} in "${entry}" is outside 1..${MAX_MAPPED_HEADS}`);
    if (monitor < 1 || monitor > MAX_MONITOR) throw mappingError(text, `client monitor ${monitor} in "${entry}" is outside 1..${MAX_MONITOR}`);
    if (byHead.has(head)) throw mappingError(text, `guest head ${head} is mapped twice`);
    if (monitorsUsed.has(monitor)) throw mappingError(text, `client monitor ${monitor} is used twice`);
    byHead.set(head, monitor);
    monitorsUsed.add(monitor);
  }
  const out: number[] = [];
  for (let head = 1; head <= byHead.size; head++) {
    const monitor = byHead.get(head);
    if (monitor === undefined) throw mappingError(text, `guest head ${head} is missing: the mapping must name every head from 1 to ${Math.max(...byHead.keys())}`);
    out.push(monitor - 1);
  }
  return out;
}

/** The mapping in virt-viewer's notation (1-based), as stored. */
export function formatMonitorMapping(mapping: MonitorMapping): string {
  return mapping.map((monitor, head) => `${head + 1}:${monitor + 1}`).join(';');
}

export type ResolvedMapping = { mapping: MonitorMapping; source: 'given' | 'default'; problem?: string };

/**
 * The mapping to use on a client with `monitorCount` monitors: the given one when all of its
 * monitors exist, else virt-viewer's default (one head per monitor, N:N, up to the head limit),
 * with `problem` saying why the given one was set aside.
 */
export function resolveMapping(given: MonitorMapping | null, monitorCount: number): ResolvedMapping {
  const count = Math.max(1, Math.floor(monitorCount));
  const fallback = Array.from({ length: Math.min(count, MAX_MAPPED_HEADS) }, (_, i) => i);
  if (!given || given.length === 0) return { mapping: fallback, source: 'default' };
  const missing = given.find((monitor) => monitor >= count);
  if (missing !== undefined) {
    return {
      mapping: fallback,
      source: 'default',
      problem: `the monitor mapping ${formatMonitorMapping(given)} names client monitor ${missing + 1}, but this client has ${count}; using one head per monitor`,
    };
  }
  return { mapping: given, source: 'given' };
}

function mappingError(text: string, detail: string): SpiceError {
  return new SpiceError('usage', `monitor mapping "${text.slice(0, 80)}": ${detail}`);
}
