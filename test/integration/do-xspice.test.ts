// `spicedesk do` against a real Xspice: what it types, presses and clicks is checked on the
// server side (files written by programs in the X session, xdotool, xev), and `expect` against
// the server's own screen. spice-server serves one client at a time, so nothing else connects
// while `spicedesk do` runs.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.ts';
import { waitForWindow, solidBackground } from '../peers/desktop.ts';
import { readPng, writePng } from '../peers/png.ts';
import { waitFor, waitUntil } from '../helpers/wait.ts';
import { requireTool } from '../peers/require-tool.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-do-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fileText = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

describe('spicedesk do against Xspice', () => {
  let xs: XspiceServer;
  let target: string;
  beforeAll(async () => {
    requireTool('xterm', 'xterm');
    requireTool('xev', 'x11-utils');
    xs = await startXspice({ imageCompression: 'off' });
    target = `spice://127.0.0.1:${xs.port}`;
    await solidBackground(xs, '#203040');
  });
  afterAll(() => xs?.stop());

  /** An xterm running `script` in sh, focused for keyboard input. */
  async function terminal(title: string, script: string): Promise<void> {
    xs.run('xterm', ['-geometry', '60x10+20+20', '-fn', 'fixed', '-T', title, '-n', title, '-xrm', 'XTerm*cursorBlink: false', '-e', 'sh', '-c', script], { LC_ALL: 'C' });
    await waitForWindow(xs, title);
    await xs.exec('xdotool', ['search', '--name', `^${title}$`, 'windowfocus', '--sync']);
  }

  it('types text, shifted symbols and newlines into a program in the session', async () => {
    const out = join(dir, 'typed.txt');
    await terminal('do-type', `cat > ${out}`);
    const symbols = 'A!@#$%^&*()_+{}|:"<>?~ `-=[]\\;\',./';
    const r = await runCli(['do', target, 'type', 'hello', 'key', 'enter', 'type', `${symbols}\nZz 09\n`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const want = `hello\n${symbols}\nZz 09\n`;
    const got = await waitFor('the typed text in the file', () => (fileText(out) === want ? want : undefined), 5000).catch(() => fileText(out));
    expect(got).toBe(want);
  });

  it('key ctrl+c interrupts the program in the focused terminal', async () => {
    const status = join(dir, 'interrupted.txt');
    await terminal('do-ctrl-c', `trap "echo interrupted > ${status}; exit" INT; cat > /dev/null`);
    // An ordinary key first: the shell must survive it.
    const r = await runCli(['do', target, 'key', 'x', 'key', 'ctrl+c']);
    expect(r.code, r.stderr).toBe(0);
    expect(await waitFor('the INT trap', () => (fileText(status) ? fileText(status) : undefined), 5000)).toBe('interrupted\n');
  });

  it('E0 keys, Print Screen and shifted keys arrive as themselves', async () => {
    const xev = xs.run('stdbuf', ['-oL', 'xev', '-geometry', '200x100+700+20', '-name', 'do-keys', '-event', 'keyboard']);
    await waitForWindow(xs, 'do-keys');
    await xs.exec('xdotool', ['search', '--name', '^do-keys$', 'windowfocus', '--sync']);
    const combos = ['ctrl_r', 'alt_r', 'kp_enter', 'kp_divide', 'up', 'delete', 'home', 'print', 'super', 'shift+a', 'kp_7'];
    const r = await runCli(['do', target, ...combos.flatMap((c) => ['key', c])]);
    expect(r.code, r.stderr).toBe(0);
    const keysyms = (kind: string): string[] => [...xev.outputTail().matchAll(new RegExp(`${kind} event[^]*?keysym 0x[0-9a-f]+, (\\w+)\\)`, 'g'))].map((m) => m[1]);
    const want = ['Control_R', 'Alt_R', 'KP_Enter', 'KP_Divide', 'Up', 'Delete', 'Home', 'Print', 'Super_L', 'Shift_L', 'A', 'KP_Home'];
    await waitFor('every key press in xev', () => (keysyms('KeyPress').length >= want.length ? true : undefined), 5000).catch(() => undefined);
    expect(keysyms('KeyPress')).toEqual(want);
    expect(keysyms('KeyRelease')).toEqual(['Control_R', 'Alt_R', 'KP_Enter', 'KP_Divide', 'Up', 'Delete', 'Home', 'Print', 'Super_L', 'A', 'Shift_L', 'KP_Home']);
  });

  it('move puts the X pointer there and clicks reach the window under it', async () => {
    const xev = xs.run('stdbuf', ['-oL', 'xev', '-geometry', '300x200+400+300', '-name', 'do-xev', '-event', 'button']);
    await waitForWindow(xs, 'do-xev');
    const r = await runCli(['do', target, 'move', '500', '350', 'click', 'click', 'right', 'move', '510', '360', 'click', 'click', 'wheel-up']);
    expect(r.code, r.stderr).toBe(0);
    const location = await xs.exec('xdotool', ['getmouselocation']);
    expect(location).toMatch(/^x:510 y:360 /);
    const presses = (): string[] =>
      [...xev.outputTail().matchAll(/ButtonPress event[^]*?root:\((\d+),(\d+)\)[^]*?button (\d+)/g)].map((m) => `${m[1]},${m[2]} button ${m[3]}`);
    const events = await waitFor('four button presses in xev', () => (presses().length >= 4 ? presses() : undefined), 5000).catch((e: Error) => {
      throw new Error(`${e.message}; xev printed:\n${xev.outputTail()}`);
    });
    expect(events).toEqual(['500,350 button 1', '500,350 button 3', '510,360 button 1', '510,360 button 4']);
    const releases = [...xev.outputTail().matchAll(/ButtonRelease event[^]*?button (\d+)/g)].map((m) => Number(m[1]));
    expect(releases).toEqual([1, 3, 1, 4]);
  });

  it('capture writes the screen, and expect matches it whole, by region, and against a crop', async () => {
    const shot = join(dir, 'shot.png');
    const r = await runCli(['do', target, 'capture', shot]);
    expect(r.code, r.stderr).toBe(0);
    const image = readPng(shot);
    expect([image.width, image.height]).toEqual([1024, 768]);
    // The same pixels as `spicedesk capture`.
    const reference = join(dir, 'reference.png');
    expect((await runCli(['capture', target, '-o', reference])).code).toBe(0);
    expect(Buffer.compare(readPng(reference).rgba, image.rgba)).toBe(0);

    const crop = { width: 300, height: 200, rgba: Buffer.alloc(300 * 200 * 4) };
    for (let y = 0; y < 200; y++) image.rgba.copy(crop.rgba, y * 1200, ((300 + y) * 1024 + 400) * 4, ((300 + y) * 1024 + 700) * 4);
    const cropFile = join(dir, 'crop.png');
    writePng(cropFile, crop);
    const ok = await runCli(['do', target, 'expect', shot, '--timeout', '5', 'expect', shot, '--region', '400,300,300,200', 'expect', cropFile, '--region', '400,300,300,200']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });

  it('expect with a PNG that does not match exits 8 within its timeout and says how many pixels differ', async () => {
    const shot = join(dir, 'shot.png');
    const wrong = readPng(shot);
    // A 20x10 patch with every colour inverted cannot equal the screen.
    for (let y = 100; y < 110; y++) for (let x = 50; x < 70; x++) for (let c = 0; c < 3; c++) wrong.rgba[(y * 1024 + x) * 4 + c] ^= 0xff;
    const wrongFile = join(dir, 'wrong.png');
    writePng(wrongFile, wrong);
    const r = await runCli(['do', target, 'expect', wrongFile, '--timeout', '2']);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/expect .*wrong\.png: the screen did not match within 2 s: 200 of 786432 pixels differ/);
    expect(r.ms).toBeGreaterThanOrEqual(2000);
    // The region around the patch alone differs the same way; one away from it matches.
    const region = await runCli(['do', target, 'expect', wrongFile, '--region', '40,90,40,30', '--timeout', '1']);
    expect(region.code).toBe(8);
    expect(region.stderr).toMatch(/region 40,90,40,30 of the screen did not match within 1 s: 200 of 1200 pixels differ/);
    expect((await runCli(['do', target, 'expect', wrongFile, '--region', '600,600,100,100', '--timeout', '1'])).code).toBe(0);
  });

  it('expect waits for the screen to change into the PNG', async () => {
    const changed = join(dir, 'changed.png');
    await solidBackground(xs, '#506070');
    expect((await runCli(['do', target, 'capture', changed])).code).toBe(0);
    await solidBackground(xs, '#203040');
    const waiting = startCli(['do', target, 'expect', changed, '--timeout', '20', '-v']);
    // The expect action has begun comparing (it logs its start once connected): the screen is
    // still the other colour, so it must keep waiting rather than end.
    await waitUntil('the expect action to start', () => /"action":"expect"/.test(waiting.stderrSoFar()) || waiting.exited(), 20_000);
    expect(waiting.exited()).toBe(false);
    await solidBackground(xs, '#506070');
    const r = await waiting.done;
    expect(r.stderr).toMatch(/screen matches/);
    expect(r.code).toBe(0);
  });

  it('a bad action is a usage error before any connection is made', async () => {
    // Port 1 would fail with exit 3 if spicedesk tried to connect.
    const cases: [string[], RegExp][] = [
      [['move', '10'], /move needs X and Y/],
      [['move', '10', 'x'], /move Y must be a whole number/],
      [['click', 'sideways'], /click: unknown button "sideways"/],
      [['key', 'ctrl+nope'], /key: unknown key "nope" in "ctrl\+nope"/],
      [['type', 'café'], /type: cannot type "é"/],
      [['wait', 'soon'], /wait must be a number of seconds/],
      [['expect', join(dir, 'missing.png')], /expect: .*missing\.png does not exist/],
      [['fly'], /unknown action "fly"/],
    ];
    for (const [actions, message] of cases) {
      const r = await runCli(['do', 'spice://127.0.0.1:1', ...actions]);
      expect(r.code, actions.join(' ')).toBe(2);
      expect(r.stderr, actions.join(' ')).toMatch(message);
    }
  });
});

