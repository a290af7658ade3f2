// Where each guest head's window goes on the client's monitors: the decisions of the Electron
// head windows (src/main/electron/head-windows.ts) and of the page's head windows (placed with
// the Window Management API), kept here so that they are the same and can be tested.
//
// As remote-viewer: the mapping names a monitor per head; a mapping that names a monitor this
// client does not have is set aside for one head per monitor in order (resolveMapping); in
// fullscreen each head covers its own monitor and heads without a monitor of their own get no
// window. A window that is not fullscreen keeps its size (the head's resolution), centred on
// its monitor's work area and never larger than it.
import { resolveMapping, type MonitorMapping } from './monitor-mapping.ts';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One client monitor: all of it, and the part windows may use (without task bars and docks). */
export interface ClientMonitor {
  bounds: Rect;
  workArea: Rect;
}

export interface HeadWindowPlan {
  head: number;
  /** Index into the monitors given. */
  monitor: number;
  bounds: Rect;
  fullscreen: boolean;
}

export interface HeadPlacementInput {
  mapping: MonitorMapping | null;
  monitors: readonly ClientMonitor[];
  /** The heads that get a window (0-based, in any order). */
  heads: readonly number[];
  /** The size each head's window should have when not fullscreen, by head; a default when missing. */
  sizes?: readonly ({ width: number; height: number } | null | undefined)[];
  fullscreen: boolean;
}

export interface HeadPlacement {
  windows: HeadWindowPlan[];
  /** Heads left without a window (fullscreen, more heads than monitors). */
  leftOut: number[];
  /** Why the given mapping was not used, for the user. */
  problem?: string;
}

const DEFAULT_SIZE = { width: 1024, height: 768 };

export function planHeadWindows(input: HeadPlacementInput): HeadPlacement {
  const out: HeadPlacement = { windows: [], leftOut: [] };
  if (input.monitors.length === 0) {
    out.leftOut = [...input.heads].sort((a, b) => a - b);
    out.problem = 'the client reports no monitors';
    return out;
  }
  const resolved = resolveMapping(input.mapping, input.monitors.length);
  if (resolved.problem) out.problem = resolved.problem;
  const heads = [...new Set(input.heads)].sort((a, b) => a - b);
  const used = new Set<number>();
  // Heads the mapping places first, so that an unmapped head never takes a mapped head's monitor.
  const monitorOf = new Map<number, number>();
  for (const head of heads) {
    const monitor = resolved.mapping[head];
    if (monitor !== undefined) {
      monitorOf.set(head, monitor);
      used.add(monitor);
    }
  }
  for (const head of heads) {
    if (monitorOf.has(head)) continue;
    const free = input.monitors.findIndex((_, i) => !used.has(i));
    if (free >= 0) {
      monitorOf.set(head, free);
      used.add(free);
    } else if (!input.fullscreen) {
      // More windows than monitors: they share the first mapped head's monitor.
      monitorOf.set(head, monitorOf.get(heads[0]) ?? 0);
    }
  }
  for (const head of heads) {
    const monitor = monitorOf.get(head);
    if (monitor === undefined) {
      out.leftOut.push(head);
      continue;
    }
    const m = input.monitors[monitor];
    const bounds = input.fullscreen ? { ...m.bounds } : centred(input.sizes?.[head] ?? DEFAULT_SIZE, m.workArea);
    out.windows.push({ head, monitor, bounds, fullscreen: input.fullscreen });
  }
  return out;
}

function centred(size: { width: number; height: number }, area: Rect): Rect {
  const width = Math.max(1, Math.min(Math.round(size.width), area.width));
  const height = Math.max(1, Math.min(Math.round(size.height), area.height));
  return { x: area.x + Math.floor((area.width - width) / 2), y: area.y + Math.floor((area.height - height) / 2), width, height };
}
