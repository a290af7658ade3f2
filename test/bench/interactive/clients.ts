// The three clients of the interactive bench, each started as a user starts it and shown as a
// window on the bench's Xvfb: spicedesk (`spicedesk open TARGET`, which, without Electron, runs
// the gateway and hands the page to $BROWSER: here a headful Chromium in app mode), spice-html5
// (websockify and the same Chromium on its spice_auto.html), and remote-viewer. Each knows the
// processes that are the client, for CPU and memory.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { allProcesses, processTree } from '../../helpers/proc-tree.ts';
import { waitFor } from '../../helpers/wait.ts';
import { spawnGroup, type GroupProcess } from '../../peers/processes.ts';
import { requireTool } from '../../peers/require-tool.ts';
import { startWebsockify } from '../bench-peers.ts';

/**
 * 'spicedesk-variant': spicedesk's page with the # options in $BENCH_SPICEDESK_VARIANT (e.g.
 * "present=page"), measured beside the others in the same run: a before/after of a page option, or
 * of a change made behind one.
 */
export type ClientName = 'spicedesk' | 'spicedesk-variant' | 'spice-html5' | 'remote-viewer' | 'chromium-floor';
export const VARIANT_OPTIONS = process.env.BENCH_SPICEDESK_VARIANT?.replace(/^#/, '');
/**
 * Extra Chromium switches for the variant only (BENCH_SPICEDESK_VARIANT_SWITCHES, space-separated
 * `--name` words): how the switches the desktop window sets are measured in a browser.
 */
export const VARIANT_SWITCHES = (process.env.BENCH_SPICEDESK_VARIANT_SWITCHES ?? '').split(/\s+/).filter((w) => w !== '');
for (const w of VARIANT_SWITCHES) if (!/^--[a-z0-9-]+(=[A-Za-z0-9,._=-]+)?$/.test(w)) throw new Error(`BENCH_SPICEDESK_VARIANT_SWITCHES: ${JSON.stringify(w)} is not a --switch`);
/**
 * Another build's CLI for the variant (BENCH_SPICEDESK_VARIANT_CLI, say OTHER/bin/spicedesk.cjs of
 * a checkout before a change): a before/after of the gateway or the page's code in the same run.
 */
export const VARIANT_CLI = process.env.BENCH_SPICEDESK_VARIANT_CLI ? resolve(process.env.BENCH_SPICEDESK_VARIANT_CLI) : undefined;
const HAS_VARIANT = Boolean(VARIANT_OPTIONS) || VARIANT_SWITCHES.length > 0 || VARIANT_CLI !== undefined;
/** What the variant is, for the report; empty without one. */
export const VARIANT_DESCRIPTION = [VARIANT_CLI ?? '', VARIANT_OPTIONS ? `#${VARIANT_OPTIONS}` : '', ...VARIANT_SWITCHES].filter((w) => w !== '').join(' ');
/**
 * BENCH_CHROMIUM_FLOOR=1 adds 'chromium-floor': the bench desktop drawn by a local page in the same
 * Chromium (floor/interactive.html), no server and no network: what Chromium itself costs any page to
 * show the bench's changes, measured the same way beside remote-viewer.
 */
export const HAS_CHROMIUM_FLOOR = process.env.BENCH_CHROMIUM_FLOOR === '1';
export const CLIENTS: readonly ClientName[] = [
  'spicedesk',
  ...(HAS_VARIANT ? (['spicedesk-variant'] as const) : []),
  'spice-html5',
  'remote-viewer',
  ...(HAS_CHROMIUM_FLOOR ? (['chromium-floor'] as const) : []),
];
/** The clients that speak SPICE (the floor does not: no breakdown through the relay for it). */
export const isSpiceClient = (name: ClientName): boolean => name !== 'chromium-floor';

const CHROMIUM = '/usr/bin/chromium';
/** The window both browser clients get: app mode (no tab strip), at the screen's top-left. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--test-type', // no infobar about --no-sandbox above the page
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--password-store=basic',
  '--disable-features=Translate,MediaRouter',
  '--window-position=0,0',
  '--window-size=1280,900',
];

/**
 * The flags with more switches after them; a feature list (`--disable-features=`,
 * `--enable-features=`) given again joins the one already there, where Chromium would keep only the
 * last of the two.
 */
export function withSwitches(flags: readonly string[], switches: readonly string[]): string[] {
  const out = [...flags];
  for (const w of switches) {
    const list = /^(--(?:disable|enable)-features=)(.+)$/.exec(w);
    const at = list ? out.findIndex((f) => f.startsWith(list[1]!)) : -1;
    if (list && at >= 0) out[at] = `${out[at]},${list[2]}`;
    else out.push(w);
  }
  return out;
}

export interface RunningClient {
  name: ClientName;
  /** The roots of the client's processes, each with the part it is (a later root's tree wins). */
  roots(): { pid: number; part: string }[];
  /** Why the client is not running, or undefined while it is. */
  problem(): string | undefined;
  stop(): Promise<void>;
  /** A key the bench presses as the live scene starts in Xspice: a client that draws the scene itself starts it then. */
  liveKey?: string;
}

export interface ClientSetup {
  root: string;
  /** The Xvfb the windows go to. */
  display: string;
  spicePort: number;
  /** Where spice-html5's files are served (serveStaticFolder). */
  html5Origin: string;
  /** A folder for the Chromium profiles and the $BROWSER script. */
  workDir: string;
}

function killGroupQuietly(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const windowEnv = (display: string): NodeJS.ProcessEnv => ({ ...process.env, DISPLAY: display, GDK_BACKEND: 'x11', NO_AT_BRIDGE: '1' });

/**
 * `spicedesk open`: the gateway starts, then runs $BROWSER with a one-time launch link; `pageOptions`
 * go after it as the page's # options (the launch link's redirect keeps a fragment).
 */
export async function startSpicedesk(
  s: ClientSetup,
  name: ClientName,
  pageOptions: string,
  switches: readonly string[] = [],
  /** For the first-frame split: more `spicedesk open` switches (--debug) and environment. */
  extra: { cli?: string; cliArgs?: readonly string[]; env?: NodeJS.ProcessEnv; stderr?: (chunk: Buffer) => void } = {},
): Promise<RunningClient & { profileDir: string; gateway: GroupProcess }> {
  const cli = extra.cli ?? resolve(s.root, 'bin/spicedesk.cjs');
  if (!existsSync(cli)) throw new Error(`${cli} is missing; run the bench from the checkout (npm run bench)`);
  const profile = mkdtempSync(join(s.workDir, 'spicedesk-profile-'));
  const pidFile = join(profile, 'browser.pid');
  const browser = join(s.workDir, `${name}-browser.sh`);
  // The browser spicedesk starts is detached (its own process group): its pid is written down so
  // that it can be stopped, and `exec` keeps it the script's pid, a child of spicedesk.
  // BENCH_BROWSER_STARTED (the first-frame split) gets the wall clock in ns as the browser starts.
  writeFileSync(browser, `#!/bin/sh\n[ -n "$BENCH_BROWSER_STARTED" ] && date +%s%N > "$BENCH_BROWSER_STARTED"\necho $$ > "$BENCH_BROWSER_PID"\nexec ${CHROMIUM} ${withSwitches(CHROMIUM_FLAGS, switches).join(' ')} --user-data-dir="$BENCH_BROWSER_PROFILE" --app="$1$BENCH_PAGE_OPTIONS"\n`, { mode: 0o755 });
  // Without NODE_EXTRA_CA_CERTS, as a user runs it: a sandbox that sets it (this dev VM does, to
  // the system's whole CA bundle) has Node parse every certificate before anything else, 40 ms of
  // every start here (capture-bench.ts measures both ways).
  const proc = spawnGroup(process.execPath, [cli, 'open', ...(extra.cliArgs ?? []), `spice://127.0.0.1:${s.spicePort}`], {
    env: { ...windowEnv(s.display), ...extra.env, BROWSER: browser, BENCH_BROWSER_PID: pidFile, BENCH_BROWSER_PROFILE: profile, BENCH_PAGE_OPTIONS: pageOptions, SPICE_PASSWORD: undefined, SPICE_PROXY: undefined, NODE_EXTRA_CA_CERTS: undefined },
    name: 'spicedesk open',
  });
  if (extra.stderr) proc.child.stderr?.on('data', extra.stderr);
  let browserPid = -1;
  const problem = (): string | undefined => (proc.running() ? undefined : `spicedesk open exited: ${proc.outputTail()}`);
  try {
    browserPid = await waitFor(
      'spicedesk open to start the browser',
      () => {
        const p = problem();
        if (p) throw new Error(p);
        const text = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '';
        return /^\d+$/.test(text) ? Number(text) : undefined;
      },
      20_000,
      { pollMs: 5 },
    );
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return {
    name,
    profileDir: profile,
    gateway: proc,
    roots: () => [
      { pid: proc.pid, part: 'gateway' },
      { pid: browserPid, part: 'chromium' },
    ],
    problem,
    async stop() {
      killGroupQuietly(browserPid);
      await proc.stop();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** spice-html5: websockify in front of the server, then its page in the same Chromium. */
async function startSpiceHtml5(s: ClientSetup): Promise<RunningClient> {
  const profile = mkdtempSync(join(s.workDir, 'html5-profile-'));
  const ws = await startWebsockify(s.spicePort);
  let browser: GroupProcess;
  try {
    browser = spawnGroup(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, `--app=${s.html5Origin}/spice_auto.html?host=127.0.0.1&port=${ws.port}`], {
      env: windowEnv(s.display),
      name: 'chromium (spice-html5)',
    });
  } catch (e) {
    await ws.process.stop();
    throw e;
  }
  return {
    name: 'spice-html5',
    roots: () => [
      { pid: ws.process.pid, part: 'websockify' },
      { pid: browser.pid, part: 'chromium' },
    ],
    problem: () => (!browser.running() ? `Chromium exited: ${browser.outputTail()}` : !ws.process.running() ? `websockify exited: ${ws.process.outputTail()}` : undefined),
    async stop() {
      await browser.stop();
      await ws.process.stop();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The floor: floor/interactive.html in the same Chromium and window as the browser clients. */
function startChromiumFloor(s: ClientSetup): RunningClient {
  const page = resolve(s.root, 'test/bench/floor/interactive.html');
  if (!existsSync(page)) throw new Error(`${page} is missing; run the bench from the checkout`);
  const profile = mkdtempSync(join(s.workDir, 'floor-profile-'));
  const browser = spawnGroup(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, `--app=file://${page}`], { env: windowEnv(s.display), name: 'chromium (floor)' });
  return {
    name: 'chromium-floor',
    roots: () => [{ pid: browser.pid, part: 'chromium' }],
    problem: () => (browser.running() ? undefined : `Chromium exited: ${browser.outputTail()}`),
    // The page starts its live scene on F9 (it has the keyboard since the session opened).
    liveKey: 'F9',
    async stop() {
      await browser.stop();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

function startRemoteViewer(s: ClientSetup): RunningClient {
  const viewer = requireTool('remote-viewer', 'virt-viewer');
  const proc = spawnGroup(viewer, [`spice://127.0.0.1:${s.spicePort}`], { env: windowEnv(s.display), name: 'remote-viewer' });
  return {
    name: 'remote-viewer',
    roots: () => [{ pid: proc.pid, part: 'remote-viewer' }],
    problem: () => (proc.running() ? undefined : `remote-viewer exited: ${proc.outputTail()}`),
    stop: () => proc.stop(),
  };
}

export function startClient(name: ClientName, setup: ClientSetup): Promise<RunningClient> {
  if (name === 'spicedesk') return startSpicedesk(setup, name, '');
  if (name === 'spicedesk-variant') return startSpicedesk(setup, name, VARIANT_OPTIONS ? `#${VARIANT_OPTIONS}` : '', VARIANT_SWITCHES, VARIANT_CLI ? { cli: VARIANT_CLI } : {});
  if (name === 'spice-html5') return startSpiceHtml5(setup);
  if (name === 'chromium-floor') return Promise.resolve(startChromiumFloor(setup));
  return Promise.resolve(startRemoteViewer(setup));
}

/**
 * Resident memory of the client's processes together: RSS (shared pages counted in each) and PSS
 * (shared pages split), the PSS also by part (the roots' parts; a later root's tree wins).
 */
export function clientMemory(client: RunningClient): { rssBytes: number; pssBytes: number; pssByPart: Record<string, number> } {
  const processes = allProcesses();
  const partOf = new Map<number, string>();
  for (const root of client.roots()) for (const p of processTree(processes, root.pid)) partOf.set(p.pid, root.part);
  let rssBytes = 0;
  let pssBytes = 0;
  const pssByPart: Record<string, number> = {};
  for (const p of processes) {
    const part = partOf.get(p.pid);
    if (part === undefined) continue;
    const pss = readPssBytes(p.pid);
    rssBytes += p.rssBytes;
    pssBytes += pss;
    pssByPart[part] = (pssByPart[part] ?? 0) + pss;
  }
  return { rssBytes, pssBytes, pssByPart };
}

/** The "Pss:" line of /proc/PID/smaps_rollup; 0 for a process gone in between. */
export function readPssBytes(pid: number): number {
  try {
    return parsePssKiB(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')) * 1024;
  } catch {
    return 0;
  }
}

export function parsePssKiB(smapsRollup: string): number {
  const match = /^Pss:\s+(\d+) kB$/m.exec(smapsRollup);
  if (!match) throw new Error('smaps_rollup has no "Pss: N kB" line');
  return Number(match[1]);
}

export const newWorkDir = (): string => mkdtempSync(join(tmpdir(), 'spicedesk-interactive-clients-'));
