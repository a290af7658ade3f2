// The installed app as the command line: with the RunAsNode fuse off, `spicedesk capture|info|...`
// runs dist/cli.cjs inside the app's main process. Here the built dist/electron-main.cjs runs in a
// Node child (argv laid out as a packaged app's: the executable, then the user's arguments) against
// a fake `electron` that records every property the app reads from it: a command must run and exit
// as the CLI does, and touch nothing of Electron but hiding the macOS dock icon.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_COMMAND_LINE_WORDS, commandLineOf, OPEN_COMMAND, targetsFromArgv } from '../../../../src/main/electron/launch-args.ts';
import { commands } from '../../../../src/main/commands/table.ts';
import { SPICEDESK_VERSION } from '../../../../src/main/connect/version-check.ts';

const entry = join(__dirname, '../../../../dist/electron-main.cjs');

/** Runs the built app's main with `args` as a packaged app gets them; what it read of `electron`. */
function runApp(args: string[]): { status: number | null; stdout: string; stderr: string; touched: string[] } {
  const script = `
    const Module = require('node:module');
    const touched = [];
    const record = (path) => new Proxy(function () {}, {
      get: (_t, key) => (typeof key === 'symbol' ? undefined : (touched.push(path + '.' + key), record(path + '.' + key))),
      apply: () => undefined,
    });
    const electron = record('electron');
    const load = Module._load;
    Module._load = function (request, ...rest) { return request === 'electron' ? electron : load.call(this, request, ...rest); };
    process.on('exit', () => require('node:fs').writeSync(2, '\\nTOUCHED ' + JSON.stringify(touched) + '\\n'));
    require(${JSON.stringify(entry)});
  `;
  // node -e puts the arguments after `--` right after the executable, as a packaged Electron does.
  const r = spawnSync(process.execPath, ['-e', script, '--', ...args], { encoding: 'utf8', timeout: 20_000 });
  const m = /\nTOUCHED (.*)\n$/.exec(r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.slice(0, m?.index ?? r.stderr.length), touched: m ? (JSON.parse(m[1]) as string[]) : ['(no record)'] };
}

describe('commandLineOf', () => {
  const packaged = { defaultApp: false };

  it('is the arguments when the first one is a command, in a packaged app and under `electron .`', () => {
    expect(commandLineOf(['/opt/spicedesk/spicedesk', 'capture', 'spice://h:5900', '-o', 'a.png'], packaged)).toEqual(['capture', 'spice://h:5900', '-o', 'a.png']);
    expect(commandLineOf(['/x/electron', '.', 'info', 'vm.vv'], { defaultApp: true })).toEqual(['info', 'vm.vv']);
    expect(commandLineOf(['/opt/spicedesk/spicedesk', '--version'], packaged)).toEqual(['--version']);
  });

  it('is null for what the window takes: a TARGET, switches first (desktop entry, kiosk session), `open`, nothing', () => {
    expect(commandLineOf(['/opt/spicedesk/spicedesk', 'vm.vv'], packaged)).toBeNull();
    expect(commandLineOf(['/opt/spicedesk/spicedesk', '--from-link', '--', 'capture'], packaged)).toBeNull();
    expect(commandLineOf(['/opt/spicedesk/spicedesk', '--kiosk', '--kiosk-quit', 'never', '--', 'spice://h'], packaged)).toBeNull();
    expect(commandLineOf(['/opt/spicedesk/spicedesk', './capture'], packaged)).toBeNull();
    expect(commandLineOf(['/opt/spicedesk/spicedesk', 'open', 'vm.vv'], packaged)).toBeNull();
    expect(commandLineOf(['/opt/spicedesk/spicedesk'], packaged)).toBeNull();
    expect(commandLineOf(['/x/electron', '.'], { defaultApp: true })).toBeNull();
  });

  it('names every command of the command line but `open`, and the help and version switches', () => {
    const names = commands.map((c) => c.name).filter((n) => n !== OPEN_COMMAND);
    expect([...APP_COMMAND_LINE_WORDS].sort()).toEqual([...names, 'help', '--help', '-h', '--version'].sort());
  });

  it('`open` first is the window: the word is dropped, the rest are its TARGETs', () => {
    expect(targetsFromArgv(['/opt/spicedesk/spicedesk', 'open', 'vm.vv'], { defaultApp: false, cwd: '/home/ann' }).targets).toEqual(['/home/ann/vm.vv']);
    expect(targetsFromArgv(['/x/electron', '.', 'open', '--kiosk', 'spice://h'], { defaultApp: true, cwd: '/w' }).targets).toEqual(['spice://h']);
    // Not first: a file of that name.
    expect(targetsFromArgv(['/opt/spicedesk/spicedesk', 'vm.vv', 'open'], { defaultApp: false, cwd: '/home/ann' }).targets).toEqual(['/home/ann/vm.vv', '/home/ann/open']);
  });
});

describe('the built app started as the command line', () => {
  it('--version prints the version and exits 0, without touching Electron but the dock', () => {
    const r = runApp(['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`spicedesk ${SPICEDESK_VERSION}\n`);
    expect(r.status).toBe(0);
    expect(r.touched).toEqual(['electron.app', 'electron.app.dock', 'electron.app.dock.hide']);
  });

  it('a command runs for real: info on a closed port says the server refused and exits 3, as the CLI does', () => {
    const r = runApp(['info', 'spice://127.0.0.1:9']);
    expect(r.stderr).toMatch(/^spicedesk: .*refused the connection/);
    expect(r.status).toBe(3);
    expect(r.touched).toEqual(['electron.app', 'electron.app.dock', 'electron.app.dock.hide']);
  });

  it('a usage error is the CLI’s (exit 2), and a TARGET still goes to the window (the lock is asked for)', () => {
    const usage = runApp(['capture']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^spicedesk: /);
    const window = runApp(['spice://127.0.0.1:9']);
    expect(window.touched).toContain('electron.protocol.registerSchemesAsPrivileged');
    expect(window.touched).toContain('electron.app.requestSingleInstanceLock');
  });
});
