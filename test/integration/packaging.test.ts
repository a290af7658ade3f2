// Packaging as far as this machine allows (no Electron binary, no fpm, no AppImage runtime):
// `scripts/dist.mjs --dir` with a stand-in Electron builds linux-unpacked, whose app.asar must hold
// exactly what the app loads, with the native modules unpacked and the fuses flipped in the binary;
// the desktop entry validates, and with the MIME XML in a fresh XDG data dir a .vv file resolves to
// application/x-virt-viewer by name and by content, and that type and the spice schemes to spicedesk.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../peers/require-tool.ts';

const root = join(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'spicedesk-dist-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The marker @electron/fuses looks for in the Electron binary; the wire (version 1) follows it. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Fuse order of wire version 1 (@electron/fuses FuseV1Options). */
const FUSE_NAMES = [
  'RunAsNode',
  'EnableCookieEncryption',
  'EnableNodeOptionsEnvironmentVariable',
  'EnableNodeCliInspectArguments',
  'EnableEmbeddedAsarIntegrityValidation',
  'OnlyLoadAppFromAsar',
  'LoadBrowserProcessSpecificV8Snapshot',
  'GrantFileProtocolExtraPrivileges',
];

/**
 * An unpacked "Electron" that electron-builder accepts: an `electron` executable carrying the fuse
 * sentinel and Electron's default wire ('1' on, '0' off), so the fuse step has something to flip.
 */
function makeStandInElectron(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const defaults = '10110001'; // RunAsNode, NodeOptions, Inspect and FileProtocol on, as Electron ships
  const wire = Buffer.concat([Buffer.from(`#!/bin/sh\n# ${FUSE_SENTINEL}`), Buffer.from([1, defaults.length]), Buffer.from(`${defaults}\nexit 0\n`)]);
  writeFileSync(join(dir, 'electron'), wire, { mode: 0o755 });
}

function readFuses(binary: string): Record<string, boolean> {
  const bytes = readFileSync(binary);
  const at = bytes.indexOf(FUSE_SENTINEL);
  if (at < 0) throw new Error(`${binary} has no fuse sentinel`);
  const wire = at + FUSE_SENTINEL.length;
  expect(bytes[wire]).toBe(1);
  const fuses: Record<string, boolean> = {};
  for (let i = 0; i < bytes[wire + 1]; i++) fuses[FUSE_NAMES[i]] = bytes[wire + 2 + i] === 0x31;
  return fuses;
}

interface AsarEntry {
  files?: Record<string, AsarEntry>;
  size?: number;
  unpacked?: boolean;
}

/** The file index of an asar archive: 4-byte pickle sizes, then the JSON header as a pickled string. */
function asarIndex(archive: string): Map<string, AsarEntry> {
  const bytes = readFileSync(archive);
  const headerLength = bytes.readUInt32LE(12);
  const header = JSON.parse(bytes.subarray(16, 16 + headerLength).toString('utf8')) as AsarEntry;
  const files = new Map<string, AsarEntry>();
  const walk = (entry: AsarEntry, path: string): void => {
    if (entry.files) for (const [name, child] of Object.entries(entry.files)) walk(child, `${path}/${name}`);
    else files.set(path.slice(1), entry);
  };
  walk(header, '');
  return files;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

describe('npm run dist --dir (stand-in Electron)', () => {
  const out = join(work, 'out');
  const unpacked = join(out, 'linux-unpacked');
  let index: Map<string, AsarEntry>;

  beforeAll(() => {
    const electron = join(work, 'electron');
    makeStandInElectron(electron);
    execFileSync(process.execPath, ['scripts/dist.mjs', '--linux', '--arch', 'x64', '--dir', '--no-build', '--electron-dist', electron, '--output', out], {
      cwd: root,
      stdio: 'pipe',
      timeout: 170_000,
    });
    index = asarIndex(join(unpacked, 'resources', 'app.asar'));
  }, 180_000);

  it('app.asar holds the built dist/ (no source maps), bin/, package.json and no tests or sources', () => {
    // Not the maps, nor the V8 code caches the CLI writes beside its bundles as other tests run it.
    const wanted = [...filesUnder(join(root, 'dist')).filter((f) => !f.endsWith('.map') && !f.endsWith('.cache')), ...filesUnder(join(root, 'bin')), 'package.json'];
    expect(wanted.length).toBeGreaterThan(5);
    for (const file of wanted) expect(index.has(file), file).toBe(true);
    const own = [...index.keys()].filter((f) => !f.startsWith('node_modules/'));
    expect(own.sort()).toEqual(wanted.sort());
    expect([...index.keys()].filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('holds the production dependencies and none of the development ones', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies)) expect(index.has(`node_modules/${dep}/package.json`), dep).toBe(true);
    for (const dep of [...Object.keys(pkg.devDependencies), 'app-builder-lib', '@electron/asar']) {
      expect([...index.keys()].some((f) => f.startsWith(`node_modules/${dep}/`)), dep).toBe(false);
    }
    expect([...index.keys()].filter((f) => /^node_modules\/(node-hid\/(src|hidapi)\/|@types\/)/.test(f))).toEqual([]);
  });

  it('unpacks every native module, only this target’s, beside app.asar', () => {
    const natives = [...index.entries()].filter(([f]) => f.endsWith('.node'));
    expect(natives.map(([f]) => f).sort()).toEqual([
      'node_modules/@node-usb/usb-linux-x64-gnu/usb.linux-x64-gnu.node',
      'node_modules/node-hid/prebuilds/HID-linux-x64/node-napi-v4.node',
      'node_modules/node-hid/prebuilds/HID_hidraw-linux-x64/node-napi-v4.node',
    ]);
    for (const [file, entry] of natives) {
      expect(entry.unpacked, file).toBe(true);
      expect(existsSync(join(unpacked, 'resources', 'app.asar.unpacked', file)), file).toBe(true);
    }
  });

  it('flips the fuses in the packaged binary as electron-builder.yml says', () => {
    expect(readFuses(join(unpacked, 'spicedesk'))).toEqual({
      RunAsNode: false,
      EnableCookieEncryption: true,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      LoadBrowserProcessSpecificV8Snapshot: false,
      GrantFileProtocolExtraPrivileges: false,
    });
  });
  it('a .deb laid out as electron-builder.yml tells fpm installs with dpkg --root, and every path the entries name is there', () => {
    const dpkgDeb = requireTool('dpkg-deb', 'dpkg');
    const dpkg = requireTool('dpkg', 'dpkg');
    // fpm is not to be had here: lay the package out by hand as FpmTarget does (the app in
    // /opt/spicedesk, the desktop entry, the /usr/bin link its after-install script makes) plus the
    // `src=dest` entries of deb.fpm in electron-builder.yml.
    const tree = join(work, 'deb-tree');
    cpSync(unpacked, join(tree, 'opt', 'spicedesk'), { recursive: true });
    const place = (src: string, dest: string): void => {
      mkdirSync(join(tree, dirname(dest)), { recursive: true });
      copyFileSync(join(root, src), join(tree, dest));
    };
    place('resources/spicedesk.desktop', '/usr/share/applications/spicedesk.desktop');
    mkdirSync(join(tree, 'usr', 'bin'), { recursive: true });
    symlinkSync('/opt/spicedesk/spicedesk', join(tree, 'usr', 'bin', 'spicedesk'));
    const yaml = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
    const mappings = [...yaml.matchAll(/^ {4}- (resources\/[^=\s]+)=(\/\S+)$/gm)].map((m) => [m[1], m[2]] as const);
    expect(mappings.map(([, dest]) => dest)).toContain('/usr/share/mime/packages/spicedesk-virt-viewer.xml');
    for (const [src, dest] of mappings) place(src, dest);
    mkdirSync(join(tree, 'DEBIAN'));
    writeFileSync(join(tree, 'DEBIAN', 'control'), 'Package: spicedesk\nVersion: 0.1.0\nArchitecture: amd64\nMaintainer: spicedesk contributors <spicedesk@users.noreply.github.com>\nDescription: SPICE client (test package)\n');
    const deb = join(work, 'spicedesk.deb');
    execFileSync(dpkgDeb, ['--root-owner-group', '-Znone', '--build', tree, deb], { stdio: 'pipe' });
    const target = join(work, 'installed');
    mkdirSync(join(target, 'var', 'lib', 'dpkg', 'updates'), { recursive: true });
    mkdirSync(join(target, 'var', 'lib', 'dpkg', 'info'), { recursive: true });
    writeFileSync(join(target, 'var', 'lib', 'dpkg', 'status'), '');
    execFileSync(dpkg, [`--root=${target}`, '--log=/dev/null', '--force-not-root', '--force-script-chrootless', '-i', deb], { stdio: 'pipe' });
    const installed = (path: string): string => join(target, path);
    // An absolute symlink inside the package points into the installed root, not this machine's.
    const resolved = (path: string): string => (lstatSync(installed(path)).isSymbolicLink() ? resolved(readlinkSync(installed(path))) : path);
    const executable = (path: string): void => accessSync(installed(resolved(path)), constants.X_OK);
    // The desktop entry's program, the kiosk session and what it starts, the unit's and X session's commands.
    const desktopExec = /^Exec=(\S+)/m.exec(readFileSync(installed('/usr/share/applications/spicedesk.desktop'), 'utf8'))?.[1] ?? '';
    executable(desktopExec);
    executable('/usr/bin/spicedesk');
    const session = readFileSync(installed('/usr/lib/spicedesk/spicedesk-kiosk-session'), 'utf8');
    executable('/usr/lib/spicedesk/spicedesk-kiosk-session');
    executable(/SPICEDESK:=([^}]+)\}/.exec(session)?.[1] ?? 'missing');
    const unitExec = /^ExecStart=.* -- (\S+)$/m.exec(readFileSync(installed('/usr/lib/systemd/system/spicedesk-kiosk.service'), 'utf8'))?.[1] ?? 'missing';
    executable(unitExec);
    executable(/^Exec=(\S+)/m.exec(readFileSync(installed('/usr/share/xsessions/spicedesk-kiosk.desktop'), 'utf8'))?.[1] ?? 'missing');
    expect(readFileSync(installed('/usr/share/mime/packages/spicedesk-virt-viewer.xml'), 'utf8')).toContain('value="[virt-viewer]"');
    expect(existsSync(installed('/opt/spicedesk/resources/app.asar'))).toBe(true);
  });
});

describe('npm run dist for another OS without the registry', () => {
  it('stops with a message naming the usb native package it could not get and what to do', () => {
    const r = spawnSync(process.execPath, ['scripts/dist.mjs', '--mac', '--arch', 'arm64', '--dir', '--no-build', '--output', join(work, 'out-mac')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      // A registry on a loopback port nothing listens on, an empty cache, no retries: "offline".
      env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_cache: join(work, 'npm-cache'), npm_config_fetch_retries: '0', npm_config_offline: 'false' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/dist: cannot get @node-usb\/usb-darwin-arm64@\d+\.\d+\.\d+, usb's native code for darwin-arm64/);
    expect(r.stderr).toContain('Without the npm registry');
    expect(existsSync(join(work, 'out-mac'))).toBe(false);
  }, 130_000);
});

describe('Linux desktop entry and .vv MIME type', () => {
  const entry = join(root, 'resources', 'spicedesk.desktop');
  const mimeXml = join(root, 'resources', 'linux', 'spicedesk-virt-viewer.xml');

  it('the desktop entry passes desktop-file-validate and declares the .vv type and all three schemes', () => {
    const validate = requireTool('desktop-file-validate', 'desktop-file-utils');
    expect(execFileSync(validate, [entry], { encoding: 'utf8' })).toBe('');
    const mime = /^MimeType=(.*)$/m.exec(readFileSync(entry, 'utf8'))?.[1].split(';').filter(Boolean);
    expect(mime?.sort()).toEqual(['application/x-virt-viewer', 'x-scheme-handler/spice', 'x-scheme-handler/spice+tls', 'x-scheme-handler/spice+unix']);
    // electron-builder writes the packaged entry's MimeType from these; they must say the same.
    const yaml = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
    expect(yaml).toMatch(/^ {4}mimeType: application\/x-virt-viewer$/m);
    expect(yaml).toMatch(/^ {4}schemes: \[spice, spice\+tls, spice\+unix\]$/m);
  });

  it('xdg-mime resolves a .vv file by name and by its [virt-viewer] content, and the type and schemes to spicedesk', () => {
    const xdgMime = requireTool('xdg-mime', 'xdg-utils');
    const updateMime = requireTool('update-mime-database', 'shared-mime-info');
    const updateDesktop = requireTool('update-desktop-database', 'desktop-file-utils');
    requireTool('gio', 'libglib2.0-bin');
    const data = join(work, 'xdg-data');
    mkdirSync(join(data, 'mime', 'packages'), { recursive: true });
    mkdirSync(join(data, 'applications'), { recursive: true });
    copyFileSync(mimeXml, join(data, 'mime', 'packages', 'spicedesk-virt-viewer.xml'));
    copyFileSync(entry, join(data, 'applications', 'spicedesk.desktop'));
    execFileSync(updateMime, [join(data, 'mime')]);
    execFileSync(updateDesktop, [join(data, 'applications')], { stdio: 'pipe' });
    // Only this data dir: the system's own virt-viewer MIME XML must not be what answers.
    const env = { ...process.env, XDG_DATA_HOME: data, XDG_DATA_DIRS: data, XDG_CONFIG_HOME: join(work, 'xdg-config'), XDG_CURRENT_DESKTOP: 'GNOME' };
    const query = (...args: string[]): string => execFileSync(xdgMime, ['query', ...args], { env, encoding: 'utf8' }).trim();
    const vv = '[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=5900\n';
    writeFileSync(join(work, 'named.vv'), vv);
    writeFileSync(join(work, 'portal-download'), vv); // no extension: only the content says what it is
    writeFileSync(join(work, 'notes'), 'type=spice\n');
    expect(query('filetype', join(work, 'named.vv'))).toBe('application/x-virt-viewer');
    expect(query('filetype', join(work, 'portal-download'))).toBe('application/x-virt-viewer');
    expect(query('filetype', join(work, 'notes'))).not.toBe('application/x-virt-viewer');
    for (const type of ['application/x-virt-viewer', 'x-scheme-handler/spice', 'x-scheme-handler/spice+tls', 'x-scheme-handler/spice+unix']) {
      expect(query('default', type), type).toBe('spicedesk.desktop');
    }
  });
});
