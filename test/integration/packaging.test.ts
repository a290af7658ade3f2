// Packaging as far as this machine allows (no Electron binary, no fpm, no AppImage runtime):
// `scripts/dist.mjs --targets deb,rpm` with a stand-in Electron and a stand-in fpm
// (test/peers/fpm-stand-in.mjs, which builds the .deb with dpkg-deb) runs electron-builder's own deb
// and rpm targets. linux-unpacked's app.asar must hold exactly what the app loads, with the native
// modules unpacked and the fuses flipped in the binary; the .deb installs with dpkg --root with every
// path its entries name in place (the app, the icon, the thin-client files), and with its MIME XML
// and desktop entry alone a .vv file resolves to application/x-virt-viewer by name and by content,
// and that type and the spice schemes to spicedesk. The icon's PNGs are checked against the SVG.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../peers/require-tool.ts';
import { decodePng, type RgbaPng } from '../../src/main/node/png-decode.ts';
import { CONVERSION_ICON_SIZE, ICON_DIR, ICON_SVG, iconFileName, LINUX_ICON_SIZES, renderIcon } from '../../scripts/icons.mjs';
import { launchChromium } from '../e2e/browser-page.ts';

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

/** What test/peers/fpm-stand-in.mjs was given for one target. */
interface FpmRecord {
  options: Record<string, (string | boolean)[]>;
  files: { src: string; dest: string }[];
  scripts: { afterInstall: string; afterRemove: string };
}

/** The `key=value` lines of a desktop entry's [Desktop Entry] group. */
function desktopEntry(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').filter((l) => /^[A-Za-z]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/**
 * The .vv file type and the three schemes, as xdg-mime answers with only `data` (an XDG data dir
 * holding mime/packages and applications) installed: the system's own virt-viewer XML and entry
 * must not be what answers.
 */
function xdgAssociations(data: string, scratch: string): { named: string; byContent: string; notes: string; defaults: Record<string, string> } {
  const xdgMime = requireTool('xdg-mime', 'xdg-utils');
  const updateMime = requireTool('update-mime-database', 'shared-mime-info');
  const updateDesktop = requireTool('update-desktop-database', 'desktop-file-utils');
  requireTool('gio', 'libglib2.0-bin');
  // What the packages' after-install scripts run.
  execFileSync(updateMime, [join(data, 'mime')], { stdio: 'pipe' });
  execFileSync(updateDesktop, [join(data, 'applications')], { stdio: 'pipe' });
  const env = { ...process.env, XDG_DATA_HOME: data, XDG_DATA_DIRS: data, XDG_CONFIG_HOME: join(scratch, 'xdg-config'), XDG_CURRENT_DESKTOP: 'GNOME' };
  const query = (...args: string[]): string => execFileSync(xdgMime, ['query', ...args], { env, encoding: 'utf8' }).trim();
  mkdirSync(scratch, { recursive: true });
  const vv = '[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=5900\n';
  writeFileSync(join(scratch, 'named.vv'), vv);
  writeFileSync(join(scratch, 'portal-download'), vv); // no extension: only the content says what it is
  writeFileSync(join(scratch, 'notes'), 'type=spice\n');
  const defaults: Record<string, string> = {};
  for (const type of ['application/x-virt-viewer', 'x-scheme-handler/spice', 'x-scheme-handler/spice+tls', 'x-scheme-handler/spice+unix']) defaults[type] = query('default', type);
  return { named: query('filetype', join(scratch, 'named.vv')), byContent: query('filetype', join(scratch, 'portal-download')), notes: query('filetype', join(scratch, 'notes')), defaults };
}

const SPICEDESK_DEFAULTS = {
  'application/x-virt-viewer': 'spicedesk.desktop',
  'x-scheme-handler/spice': 'spicedesk.desktop',
  'x-scheme-handler/spice+tls': 'spicedesk.desktop',
  'x-scheme-handler/spice+unix': 'spicedesk.desktop',
};

describe('npm run dist -- --targets deb,rpm (stand-in Electron and fpm)', () => {
  const out = join(work, 'out');
  const unpacked = join(out, 'linux-unpacked');
  const records = join(work, 'fpm-records');
  let index: Map<string, AsarEntry>;
  let deb: FpmRecord;
  let rpm: FpmRecord;

  beforeAll(() => {
    // The stand-in fpm builds the .deb with dpkg-deb.
    requireTool('dpkg-deb', 'dpkg');
    const electron = join(work, 'electron');
    makeStandInElectron(electron);
    execFileSync(process.execPath, ['scripts/dist.mjs', '--linux', '--arch', 'x64', '--targets', 'deb,rpm', '--no-build', '--electron-dist', electron, '--output', out], {
      cwd: root,
      stdio: 'pipe',
      timeout: 170_000,
      env: { ...process.env, CUSTOM_FPM_PATH: join(root, 'test/peers/fpm-stand-in.mjs'), FPM_STAND_IN_RECORD: records },
    });
    index = asarIndex(join(unpacked, 'resources', 'app.asar'));
    deb = JSON.parse(readFileSync(join(records, 'deb.json'), 'utf8')) as FpmRecord;
    rpm = JSON.parse(readFileSync(join(records, 'rpm.json'), 'utf8')) as FpmRecord;
  }, 180_000);

  it('app.asar holds the built dist/ (no source maps), bin/, package.json and no tests or sources', () => {
    // Not the maps, nor the V8 code caches the CLI writes beside its bundles as other tests run it.
    const wanted = [
      ...filesUnder(join(root, 'dist')).filter((f) => !f.endsWith('.map') && !f.endsWith('.cache')),
      ...filesUnder(join(root, 'bin')),
      'package.json',
      'resources/icons/256x256.png', // the Linux windows' icon (electron-main.ts)
    ];
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

  it('electron-builder’s deb and rpm targets hand fpm the same files, and the fields deb and rpm need', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { homepage: string; author: { name: string; email: string } };
    for (const r of [deb, rpm]) {
      expect(r.options['--url']).toEqual([pkg.homepage]);
      expect(r.options['--maintainer']).toEqual([`${pkg.author.name} <${pkg.author.email}>`]);
      expect(r.options['--name']).toEqual(['spicedesk']);
    }
    expect(String(deb.options['--description'][0]).split('\n')[0]).toBe('SPICE remote-desktop client (QEMU/KVM, oVirt, Proxmox VE)');
    expect(rpm.options['--rpm-summary']).toEqual(['SPICE remote-desktop client (QEMU/KVM, oVirt, Proxmox VE)']);
    expect(rpm.files.map((f) => f.dest)).toEqual(deb.files.map((f) => f.dest));
    expect(rpm.scripts.afterInstall).toBe(deb.scripts.afterInstall);
  });

  it('the .deb installs with dpkg --root, and every path its entries name is there: the app, the icon, the MIME types, the thin-client files', () => {
    const dpkg = requireTool('dpkg', 'dpkg');
    const target = join(work, 'installed');
    mkdirSync(join(target, 'var', 'lib', 'dpkg', 'updates'), { recursive: true });
    mkdirSync(join(target, 'var', 'lib', 'dpkg', 'info'), { recursive: true });
    writeFileSync(join(target, 'var', 'lib', 'dpkg', 'status'), '');
    // --force-depends: the empty root has none of the libraries the package depends on (GTK, NSS, ...).
    const installOptions = [`--root=${target}`, '--log=/dev/null', '--force-not-root', '--force-script-chrootless', '--force-depends'];
    execFileSync(dpkg, [...installOptions, '-i', join(out, 'spicedesk_0.1.0_amd64.deb')], { stdio: 'pipe' });
    // The after-install script links /usr/bin/spicedesk to the app (the stand-in does not run it here).
    expect(deb.scripts.afterInstall).toContain("ln -sf '/opt/spicedesk/spicedesk' '/usr/bin/spicedesk'");
    mkdirSync(join(target, 'usr', 'bin'), { recursive: true });
    symlinkSync('/opt/spicedesk/spicedesk', join(target, 'usr', 'bin', 'spicedesk'));
    const installed = (path: string): string => join(target, path);
    // An absolute symlink inside the package points into the installed root, not this machine's.
    const resolved = (path: string): string => (lstatSync(installed(path)).isSymbolicLink() ? resolved(readlinkSync(installed(path))) : path);
    const executable = (path: string): void => accessSync(installed(resolved(path)), constants.X_OK);

    // The desktop entry electron-builder wrote: valid, and saying what resources/spicedesk.desktop says.
    const entryFile = installed('/usr/share/applications/spicedesk.desktop');
    expect(execFileSync(requireTool('desktop-file-validate', 'desktop-file-utils'), [entryFile], { encoding: 'utf8' })).toBe('');
    const entry = desktopEntry(readFileSync(entryFile, 'utf8'));
    const ours = desktopEntry(readFileSync(join(root, 'resources', 'spicedesk.desktop'), 'utf8'));
    for (const key of ['Name', 'Exec', 'Icon', 'Categories', 'StartupWMClass', 'Type', 'Terminal']) expect(entry[key], key).toBe(ours[key]);
    expect(entry.MimeType.split(';').filter(Boolean).sort()).toEqual(ours.MimeType.split(';').filter(Boolean).sort());
    // package.json's desktopName (Electron's Wayland app_id) is the installed entry's file name.
    expect((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { desktopName: string }).desktopName).toBe('spicedesk.desktop');

    // The programs: the entry's, /usr/bin's, the kiosk session and what it starts, the unit's and X session's.
    executable(/^(\S+)/.exec(entry.Exec)?.[1] ?? 'missing');
    executable('/usr/bin/spicedesk');
    const session = readFileSync(installed('/usr/lib/spicedesk/spicedesk-kiosk-session'), 'utf8');
    executable('/usr/lib/spicedesk/spicedesk-kiosk-session');
    executable(/SPICEDESK:=([^}]+)\}/.exec(session)?.[1] ?? 'missing');
    const unitExec = /^ExecStart=.* -- (\S+)$/m.exec(readFileSync(installed('/usr/lib/systemd/system/spicedesk-kiosk.service'), 'utf8'))?.[1] ?? 'missing';
    executable(unitExec);
    const xsession = desktopEntry(readFileSync(installed('/usr/share/xsessions/spicedesk-kiosk.desktop'), 'utf8'));
    executable(xsession.Exec);
    expect(existsSync(installed('/opt/spicedesk/resources/app.asar'))).toBe(true);

    // The icon both entries name, in the hicolor theme at each size of the set, as committed, and the SVG.
    expect([entry.Icon, xsession.Icon]).toEqual(['spicedesk', 'spicedesk']);
    const hicolor = installed('/usr/share/icons/hicolor');
    expect(readdirSync(hicolor).sort()).toEqual([...LINUX_ICON_SIZES.map((n) => `${n}x${n}`), 'scalable'].sort());
    for (const size of LINUX_ICON_SIZES) {
      const file = join(hicolor, `${size}x${size}`, 'apps', 'spicedesk.png');
      expect(readFileSync(file).equals(readFileSync(join(ICON_DIR, iconFileName(size)))), file).toBe(true);
      const png = decodePng(readFileSync(file));
      expect([png.width, png.height]).toEqual([size, size]);
    }
    expect(readFileSync(join(hicolor, 'scalable', 'apps', 'spicedesk.svg'), 'utf8')).toBe(readFileSync(ICON_SVG, 'utf8'));

    // The installed MIME XML and entry alone: a .vv file by name and by content, and the type and the schemes to spicedesk.
    expect(readFileSync(installed('/usr/share/mime/packages/spicedesk-virt-viewer.xml'), 'utf8')).toContain('value="[virt-viewer]"');
    const a = xdgAssociations(installed('/usr/share'), join(work, 'xdg-installed'));
    expect([a.named, a.byContent]).toEqual(['application/x-virt-viewer', 'application/x-virt-viewer']);
    expect(a.notes).not.toBe('application/x-virt-viewer');
    expect(a.defaults).toEqual(SPICEDESK_DEFAULTS);

    // Purged, it leaves none of its files (the caches the after-install scripts made aside).
    expect(deb.scripts.afterRemove).toContain("rm -f '/usr/bin/spicedesk'");
    rmSync(join(target, 'usr', 'bin', 'spicedesk'));
    execFileSync(dpkg, [...installOptions, '--purge', 'spicedesk'], { stdio: 'pipe' });
    const caches = /^usr\/share\/(mime\/(?!packages\/)|applications\/mimeinfo\.cache$)/;
    const left = readdirSync(join(target, 'usr'), { recursive: true, withFileTypes: true })
      .filter((e) => !e.isDirectory())
      .map((e) => relative(target, join(e.parentPath, e.name)))
      .filter((f) => !caches.test(f));
    expect(left).toEqual([]);
    expect(existsSync(installed('/opt/spicedesk'))).toBe(false);
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

describe('npm run dist for another architecture, its usb package already unpacked (--native-dir)', () => {
  it('packs that usb package and node-hid’s prebuilds for the target, and none of this machine’s', () => {
    const usbVersion = (JSON.parse(readFileSync(join(root, 'node_modules/usb/package.json'), 'utf8')) as { version: string }).version;
    // What `npm pack @node-usb/usb-linux-arm64-gnu` would have unpacked (a stand-in .node file).
    const nativeDir = join(work, 'native');
    const usbArm64 = join(nativeDir, `@node-usb+usb-linux-arm64-gnu@${usbVersion}`);
    mkdirSync(usbArm64, { recursive: true });
    writeFileSync(join(usbArm64, 'package.json'), JSON.stringify({ name: '@node-usb/usb-linux-arm64-gnu', version: usbVersion, main: 'usb.linux-arm64-gnu.node' }));
    writeFileSync(join(usbArm64, 'usb.linux-arm64-gnu.node'), 'stand-in for the arm64 binary');
    const electron = join(work, 'electron-arm64');
    makeStandInElectron(electron);
    const out = join(work, 'out-arm64');
    execFileSync(process.execPath, ['scripts/dist.mjs', '--linux', '--arch', 'arm64', '--dir', '--no-build', '--electron-dist', electron, '--output', out, '--native-dir', nativeDir], {
      cwd: root,
      stdio: 'pipe',
      timeout: 170_000,
    });
    const unpacked = join(out, 'linux-arm64-unpacked');
    const index = asarIndex(join(unpacked, 'resources', 'app.asar'));
    const natives = [...index.entries()].filter(([f]) => f.endsWith('.node'));
    expect(natives.map(([f]) => f).sort()).toEqual([
      'node_modules/@node-usb/usb-linux-arm64-gnu/usb.linux-arm64-gnu.node',
      'node_modules/node-hid/prebuilds/HID-linux-arm64/node-napi-v4.node',
      'node_modules/node-hid/prebuilds/HID_hidraw-linux-arm64/node-napi-v4.node',
    ]);
    for (const [file, entry] of natives) {
      expect(entry.unpacked, file).toBe(true);
      expect(existsSync(join(unpacked, 'resources', 'app.asar.unpacked', file)), file).toBe(true);
    }
    expect(index.has('node_modules/@node-usb/usb-linux-arm64-gnu/package.json')).toBe(true);
    expect([...index.keys()].filter((f) => f.startsWith('node_modules/@node-usb/usb-linux-x64'))).toEqual([]);
  }, 180_000);
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
    const data = join(work, 'xdg-data');
    mkdirSync(join(data, 'mime', 'packages'), { recursive: true });
    mkdirSync(join(data, 'applications'), { recursive: true });
    copyFileSync(mimeXml, join(data, 'mime', 'packages', 'spicedesk-virt-viewer.xml'));
    copyFileSync(entry, join(data, 'applications', 'spicedesk.desktop'));
    const a = xdgAssociations(data, join(work, 'xdg-resources'));
    expect([a.named, a.byContent]).toEqual(['application/x-virt-viewer', 'application/x-virt-viewer']);
    expect(a.notes).not.toBe('application/x-virt-viewer');
    expect(a.defaults).toEqual(SPICEDESK_DEFAULTS);
  });
});

describe('the icon (resources/icons)', () => {
  const svg = readFileSync(ICON_SVG, 'utf8');
  const sizes = [...LINUX_ICON_SIZES, CONVERSION_ICON_SIZE];
  const committed = (size: number): RgbaPng => decodePng(readFileSync(join(ICON_DIR, iconFileName(size))));

  it('each PNG has its size, is not blank, and is what scripts/icons.mjs renders from the SVG now', () => {
    for (const size of sizes) {
      const png = committed(size);
      expect([png.width, png.height], `${size}`).toEqual([size, size]);
      // Not blank: transparent corners, an opaque middle, and the drawing's colours.
      const alpha = (x: number, y: number): number => png.rgba[(y * size + x) * 4 + 3];
      expect([alpha(0, 0), alpha(size - 1, 0), alpha(0, size - 1), alpha(size - 1, size - 1)], `${size}`).toEqual([0, 0, 0, 0]);
      expect(alpha(size >> 1, size >> 1), `${size}`).toBe(255);
      let cover = 0;
      const colours = new Set<number>();
      for (let i = 0; i < size * size; i++) {
        cover += png.rgba[i * 4 + 3] / 255;
        if (png.rgba[i * 4 + 3] === 255) colours.add((png.rgba[i * 4] << 16) | (png.rgba[i * 4 + 1] << 8) | png.rgba[i * 4 + 2]);
      }
      // The monitor covers the same share of the square at every size: 0.52 (its outline's area in the 256² viewBox).
      expect(cover / (size * size), `${size}`).toBeCloseTo(0.52, 2);
      for (const fill of [0x263340, 0x3d8fd6, 0xeaf3fc, 0xf28c28]) expect(colours.has(fill), `${size} #${fill.toString(16)}`).toBe(true);
      // Stale PNGs (the SVG changed, `node scripts/icons.mjs` not run) fail here.
      expect(Buffer.from(png.rgba).equals(Buffer.from(renderIcon(svg, size).data)), `${iconFileName(size)} is stale: node scripts/icons.mjs`).toBe(true);
    }
  }, 60_000);

  it('each PNG matches Chromium’s rendering of the SVG at that size', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ deviceScaleFactor: 1 });
      const source = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
      for (const size of sizes) {
        await page.setViewportSize({ width: size, height: size });
        await page.setContent(`<html><body style="margin:0;background:transparent"><img id="icon" width="${size}" height="${size}" style="display:block"></body></html>`);
        await page.evaluate(async (src) => {
          const img = document.getElementById('icon') as HTMLImageElement;
          img.src = src;
          await img.decode();
        }, source);
        const shot = decodePng(await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } }));
        const ours = committed(size);
        // Premultiplied values, so that a transparent pixel's colour does not count.
        let sum = 0;
        let far = 0;
        for (let i = 0; i < size * size; i++) {
          let worst = 0;
          for (let c = 0; c < 4; c++) {
            const scale = (rgba: Uint8Array): number => (c === 3 ? rgba[i * 4 + 3] : (rgba[i * 4 + c] * rgba[i * 4 + 3]) / 255);
            const d = Math.abs(scale(ours.rgba) - scale(shot.rgba));
            sum += d;
            worst = Math.max(worst, d);
          }
          if (worst > 64) far++;
        }
        const mean = sum / (size * size * 4);
        console.log(`icon ${size}: mean difference ${mean.toFixed(3)}, pixels off by more than 64: ${far}`);
        // Measured: mean 1.7 at 16 px falling to 0.01 at 1024; a few pixels of the rounded corners
        // (0 to 8, where Chromium's arc coverage differs by up to 80 in alpha). A shape missing or
        // moved by a pixel makes dozens of pixels far off.
        expect(mean, `${size}`).toBeLessThan(2);
        expect(far, `${size}`).toBeLessThanOrEqual(size / 16);
      }
    } finally {
      await browser.close();
    }
  }, 60_000);
});
