// The first-frame split's steps (first-frame-bench.ts), read from the gateway's --debug log (pino
// JSON lines, `time` in epoch ms) and from the page's and decode worker's performance timelines
// (timeOrigin in epoch ms, entries relative to it). Pure: unit-tested in
// test/unit/bench/first-frame-steps.test.ts.

/** Step name to ms since the client was spawned. */
export type Steps = Record<string, number>;

export interface TimelineEntry {
  name: string;
  entryType: string;
  startTime: number;
  requestStart?: number;
  responseStart?: number;
  responseEnd?: number;
}

export interface Timeline {
  timeOrigin: number;
  entries: TimelineEntry[];
}

export interface PageTimeline {
  page: Timeline;
  /** The decode worker's own, where a DevTools client could read it (its marks also reach the page's). */
  worker?: Timeline;
}

const FILES_REQUESTED: Record<string, string> = { '/': 'gateway: page HTML requested', 'main.js': 'gateway: main.js requested', 'decode-worker.js': 'gateway: decode-worker.js requested' };

/**
 * The gateway's steps, each the first line of its kind: `since` turns epoch ms into the split's
 * clock. Lines that are not JSON (a warning on stderr) are skipped.
 */
export function parseGatewaySteps(lines: readonly string[], since: (epochMs: number) => number): Steps {
  const steps: Steps = {};
  const first = (name: string, epochMs: number): void => {
    if (steps[name] === undefined) steps[name] = since(epochMs);
  };
  for (const line of lines) {
    let entry: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null) continue;
      entry = parsed as Record<string, unknown>;
    } catch {
      continue;
    }
    const time = entry.time;
    if (typeof time !== 'number') continue;
    switch (entry.msg) {
      case 'gateway listening':
        if (typeof entry.processStart === 'number') first('gateway: Node process started', entry.processStart);
        first('gateway: listening', time);
        break;
      case 'request':
        if (entry.launch === true) first("gateway: browser's first request (launch link)", time);
        else if (typeof entry.file === 'string' && FILES_REQUESTED[entry.file]) first(FILES_REQUESTED[entry.file]!, time);
        break;
      case 'page WebSocket open':
        first('gateway: page WebSocket open', time);
        break;
      case 'page HELLO':
        first('gateway: page HELLO', time);
        break;
      case 'linked':
        if (typeof entry.channel === 'string') first(`gateway: ${entry.channel} channel linked`, time);
        break;
      case 'session linked':
        first('gateway: session linked (main INIT and channel list)', time);
        break;
      case 'first display message to the page':
        first('gateway: first display message sent', time);
        break;
    }
  }
  return steps;
}

const baseName = (url: string): string => {
  const path = url.split(/[?#]/)[0] ?? '';
  return path.slice(path.lastIndexOf('/') + 1) || '/';
};

/** The page's and the worker's marks (`spicedesk:NAME`) and the resource timings of the files the page loads. */
export function parsePageSteps(t: PageTimeline, since: (epochMs: number) => number): Steps {
  const steps: Steps = {};
  const add = (timeline: Timeline, who: string): void => {
    for (const e of timeline.entries) {
      const at = (ms: number): number => since(timeline.timeOrigin + ms);
      if (e.entryType === 'mark' && e.name.startsWith('spicedesk:')) {
        // The decode worker's marks come forwarded to the page as worker-NAME (start-marks.ts).
        const mark = e.name.slice('spicedesk:'.length);
        steps[mark.startsWith('worker-') ? `worker: ${mark.slice('worker-'.length)}` : `${who}: ${mark}`] = at(e.startTime);
      }
      else if (e.entryType === 'navigation' && e.responseEnd !== undefined) {
        steps[`${who}: navigation started`] = at(0);
        steps[`${who}: HTML received`] = at(e.responseEnd);
      } else if (e.entryType === 'resource' && e.responseEnd !== undefined) {
        const file = baseName(e.name);
        if (/\.(js|wasm|css)$/.test(file)) steps[`${who}: ${file} received`] = at(e.responseEnd);
      } else if (e.entryType === 'paint' && e.name === 'first-contentful-paint') steps[`${who}: first contentful paint`] = at(e.startTime);
    }
  };
  add(t.page, 'page');
  if (t.worker) add(t.worker, 'worker');
  return steps;
}
