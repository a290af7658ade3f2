// The Node side of x-probe.c: compiles the C programs of the interactive bench with gcc into a
// temporary folder at bench time, runs the probe on the Xvfb the clients draw into, and parses its
// one-line answers. The parsers are pure (unit-tested in test/unit/bench/interactive-probe.test.ts).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToCompletion } from '../../peers/processes.ts';
import { requireTool } from '../../peers/require-tool.ts';

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Found extends Box {
  /** Pixels of the colour; 0 when there are none (the box is then all zeros). */
  count: number;
}

/** A press (key or button) and the first poll that saw the watched pixels change, in µs of CLOCK_MONOTONIC. */
export type Reaction = { pressedUs: number; changedUs: number; polls: number } | { pressedUs: number; timedOut: true; polls: number };

export interface WatchResult {
  startUs: number;
  endUs: number;
  polls: number;
  /** Changes seen per rectangle, in the order given. */
  changes: number[];
}

const INTEGER = /^-?\d+$/;

/** The numbers of an answer line that starts with `word`; throws naming the line otherwise (an "error" answer included). */
export function answerNumbers(line: string, word: string, count: number | 'at least', min = 0): number[] {
  const parts = line.trim().split(/\s+/);
  if (parts[0] === 'error') throw new Error(`x-probe: ${parts.slice(1).join(' ')}`);
  if (parts[0] !== word) throw new Error(`x-probe answered "${line.trim()}" where "${word} ..." was expected`);
  const rest = parts.slice(1);
  if (!rest.every((p) => INTEGER.test(p))) throw new Error(`x-probe's "${word}" answer has a field that is not an integer: "${line.trim()}"`);
  if (count === 'at least' ? rest.length < min : rest.length !== count) {
    throw new Error(`x-probe's "${word}" answer has ${rest.length} numbers, expected ${count === 'at least' ? `at least ${min}` : count}: "${line.trim()}"`);
  }
  return rest.map(Number);
}

export function parseFound(line: string): Found {
  const [x, y, w, h, count] = answerNumbers(line, 'found', 5);
  return { x, y, w, h, count };
}

/** A `waitfind` answer: when the colour showed (or undefined after the timeout) and where. */
export function parseWaitFound(line: string): { atUs: number; found: Found } | { timedOutUs: number; count: number } {
  if (line.startsWith('timeout')) {
    const [timedOutUs, count] = answerNumbers(line, 'timeout', 2);
    return { timedOutUs, count };
  }
  const [atUs, x, y, w, h, count] = answerNumbers(line, 'waitfound', 6);
  return { atUs, found: { x, y, w, h, count } };
}

/** A `key` or `click` answer. */
export function parseReaction(line: string, word: 'key' | 'click'): Reaction {
  if (line.startsWith('timeout')) {
    const [pressedUs, polls] = answerNumbers(line, 'timeout', 2);
    return { pressedUs, timedOut: true, polls };
  }
  const [pressedUs, changedUs, polls] = answerNumbers(line, word, 3);
  if (changedUs < pressedUs) throw new Error(`x-probe saw the change before the press: "${line.trim()}"`);
  return { pressedUs, changedUs, polls };
}

export function parseWatch(line: string, rects: number): WatchResult {
  const [startUs, endUs, polls, ...changes] = answerNumbers(line, 'watch', 3 + rects);
  if (endUs < startUs) throw new Error(`x-probe's watch ended before it started: "${line.trim()}"`);
  return { startUs, endUs, polls, changes };
}

/** Milliseconds from the press to the change, or undefined when the change never came. */
export const reactionMs = (r: Reaction): number | undefined => ('timedOut' in r ? undefined : (r.changedUs - r.pressedUs) / 1000);

/** Now in µs of CLOCK_MONOTONIC, the clock of the probe's answers (libuv's hrtime reads it). */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** The bench's C programs, built with gcc into a fresh temporary folder. */
export interface BuiltPrograms {
  dir: string;
  probe: string;
  targets: string;
  glyphEcho: string;
}

async function gcc(out: string, source: string, libs: string[]): Promise<void> {
  const result = await runToCompletion(requireTool('gcc', 'gcc'), ['-O2', '-Wall', '-o', out, source, ...libs], { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`gcc ${source} failed: ${result.stderr}`);
}

/** `sourceDir`: where x-probe.c and its siblings are (test/bench/interactive in the checkout). */
export async function buildPrograms(sourceDir: string): Promise<BuiltPrograms> {
  const dir = mkdtempSync(join(tmpdir(), 'spicedesk-interactive-'));
  const built = { dir, probe: join(dir, 'x-probe'), targets: join(dir, 'xspice-targets'), glyphEcho: join(dir, 'glyph-echo') };
  // libXtst has no -dev package here: its soname is linked directly and the prototypes are in x-probe.c.
  await gcc(built.probe, join(sourceDir, 'x-probe.c'), ['-lX11', '-lXext', '-l:libXtst.so.6']);
  await gcc(built.targets, join(sourceDir, 'xspice-targets.c'), ['-lX11']);
  await gcc(built.glyphEcho, join(sourceDir, 'glyph-echo.c'), []);
  return built;
}

/** A running x-probe: one command at a time, each answered by one line. */
export class XProbe {
  private buffered = '';
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly lines: string[] = [];
  private stderr = '';
  private exited = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        const next = this.waiting.shift();
        if (next) next(line);
        else this.lines.push(line);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4096)));
    child.once('exit', () => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w(`error x-probe exited: ${this.stderr.trim()}`);
    });
  }

  /** Starts the probe on `display` and waits for its "ready W H". */
  static async start(binary: string, display: string): Promise<{ probe: XProbe; width: number; height: number }> {
    const child = spawn(binary, [], { env: { ...process.env, DISPLAY: display }, stdio: ['pipe', 'pipe', 'pipe'] });
    const probe = new XProbe(child);
    const [width, height] = answerNumbers(await probe.nextLine(), 'ready', 2);
    return { probe, width, height };
  }

  private nextLine(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.exited) return Promise.resolve(`error x-probe exited: ${this.stderr.trim()}`);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Sends one command and returns its answer line. */
  ask(command: string): Promise<string> {
    if (this.exited) return Promise.resolve(`error x-probe exited: ${this.stderr.trim()}`);
    this.child.stdin.write(`${command}\n`);
    return this.nextLine();
  }

  async find(rgb: string, tolerance: number): Promise<Found> {
    return parseFound(await this.ask(`find ${rgb} ${tolerance}`));
  }

  async waitFind(rgb: string, tolerance: number, minPixels: number, timeoutMs: number): Promise<ReturnType<typeof parseWaitFound>> {
    return parseWaitFound(await this.ask(`waitfind ${rgb} ${tolerance} ${minPixels} ${timeoutMs}`));
  }

  /** Waits until the box has not changed for quietMs; false at the timeout. */
  async quiet(b: Box, quietMs: number, timeoutMs: number): Promise<boolean> {
    const line = await this.ask(`quiet ${b.x} ${b.y} ${b.w} ${b.h} ${quietMs} ${timeoutMs}`);
    if (line.startsWith('timeout')) return false;
    answerNumbers(line, 'quiet', 1);
    return true;
  }

  /** `holdMs`: the key is released after this long or when the change shows; 0 is a tap (press and release at once, as `xdotool key`). */
  async key(keysym: string, holdMs: number, watched: Box, timeoutMs: number): Promise<Reaction> {
    return parseReaction(await this.ask(`key ${keysym} ${holdMs} ${watched.x} ${watched.y} ${watched.w} ${watched.h} ${timeoutMs}`), 'key');
  }

  async click(x: number, y: number, watched: Box, timeoutMs: number): Promise<Reaction> {
    return parseReaction(await this.ask(`click ${x} ${y} ${watched.x} ${watched.y} ${watched.w} ${watched.h} ${timeoutMs}`), 'click');
  }

  async watch(durationMs: number, rects: readonly Box[]): Promise<WatchResult> {
    return parseWatch(await this.ask(`watch ${durationMs} ${rects.map((b) => `${b.x} ${b.y} ${b.w} ${b.h}`).join(' ')}`), rects.length);
  }

  /** Moves the pointer to (x, y) and gives the X input focus to the top-level window there (no window manager does). */
  async focus(x: number, y: number): Promise<number> {
    const [window] = answerNumbers(await this.ask(`focus ${x} ${y}`), 'focus', 1);
    return window;
  }

  /** Writes the whole screen to `path` as a PPM. */
  async dump(path: string): Promise<void> {
    const line = await this.ask(`dump ${path}`);
    if (!line.startsWith('dumped ')) answerNumbers(line, 'dumped', 0);
  }

  close(): void {
    this.child.stdin.end();
    if (!this.exited) this.child.kill();
  }
}
