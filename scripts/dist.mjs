// Builds spicedesk's installers: `npm run dist` for this OS, `npm run dist -- --linux|--win|--mac`
// for another (where electron-builder can cross-build). Steps, in order:
//   1. dist/ (scripts/build.mjs), so the package never holds a stale bundle;
//   2. the target's `usb` native package (@node-usb/usb-<platform>-<arch>[-abi]): npm installs only
//      the host's, so another target's is unpacked from the registry with `npm pack` into
//      out/native/ and added to the app (offline this fails with a message saying what to do);
//   3. electron-builder with electron-builder.yml, plus `files` exclusions that keep only the
//      target's node-hid prebuilds and usb package (node-hid ships all 13 platforms' binaries).
// Options: --linux | --win | --mac (default: this OS), --arch x64|arm64|ia32 (default: this
// machine's), --dir (only the unpacked app, no installer), --electron-dist DIR (an unpacked Electron
// or a folder holding its zip, instead of downloading one), --output DIR (instead of out/),
// --targets a,b (instead of the config's), --native-dir DIR (where another target's usb package is
// unpacked and kept between runs, instead of out/native/).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PLATFORM_SWITCHES = { '--linux': 'linux', '--win': 'win32', '--mac': 'darwin' };

/** The @node-usb package that holds `usb`'s native code for a platform and architecture. */
export function usbNativePackage(platform, arch) {
  const abi = { linux: arch === 'arm' ? '-gnueabihf' : '-gnu', win32: '-msvc', darwin: '' }[platform];
  if (abi === undefined) throw new Error(`no usb native package for platform ${platform}`);
  return `@node-usb/usb-${platform}-${arch}${abi}`;
}

/** node-hid's prebuild folders (HID-<platform>-<arch>, HID_hidraw-...) that belong to another target. */
export function foreignHidPrebuilds(dirs, platform, arch) {
  return dirs.filter((d) => !new RegExp(`^HID(_hidraw)?-${platform}-${arch}$`).test(d));
}

/**
 * The `files` exclusions for a target. electron-builder concatenates a list given here with the
 * config file's, so these only add to electron-builder.yml's.
 */
export function targetExclusions(platform, arch, hidDirs, usbPackages) {
  const keepUsb = usbNativePackage(platform, arch);
  return [
    ...foreignHidPrebuilds(hidDirs, platform, arch).map((d) => `!node_modules/node-hid/prebuilds/${d}/**`),
    ...usbPackages.filter((p) => p !== keepUsb).map((p) => `!node_modules/${p}/**`),
    // Source maps of the bundles: wanted only when debugging a packaged app (SPICEDESK_DIST_SOURCEMAPS=1).
    ...(process.env.SPICEDESK_DIST_SOURCEMAPS === '1' ? [] : ['!dist/**/*.map']),
  ];
}

function parseArgs(argv) {
  const options = { platform: process.platform, arch: process.arch, dir: false, electronDist: undefined, targets: undefined, output: undefined, nativeDir: join('out', 'native') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg in PLATFORM_SWITCHES) options.platform = PLATFORM_SWITCHES[arg];
    else if (arg === '--dir') options.dir = true;
    // Package the dist/ already built (the packaging test: rebuilding dist/ in place would pull it
    // from under the other test files running at the same time).
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--arch') options.arch = argv[++i];
    else if (arg === '--electron-dist') options.electronDist = argv[++i];
    else if (arg === '--output') options.output = argv[++i];
    else if (arg === '--targets') options.targets = argv[++i]?.split(',');
    else if (arg === '--native-dir') options.nativeDir = argv[++i];
    else throw new Error(`unknown option ${arg} (--linux, --win, --mac, --arch A, --dir, --no-build, --electron-dist DIR, --output DIR, --targets a,b, --native-dir DIR)`);
    if (argv[i] === undefined) throw new Error(`${arg} needs a value`);
  }
  return options;
}

/**
 * Where the target's usb native package is: node_modules when npm installed it (the host's), else
 * a copy unpacked from the registry with `npm pack` into `nativeDir` (out/native/; node_modules
 * stays as npm left it; the package goes into the app through a `files` entry).
 */
function usbNativeSource(platform, arch, nativeDir) {
  const name = usbNativePackage(platform, arch);
  if (existsSync(join('node_modules', name, 'package.json'))) return null;
  const { version } = JSON.parse(readFileSync('node_modules/usb/package.json', 'utf8'));
  const dest = join(nativeDir, `${name.replace('/', '+')}@${version}`);
  if (existsSync(join(dest, 'package.json'))) return { name, dir: dest };
  const work = mkdtempSync(join(tmpdir(), 'spicedesk-usb-'));
  try {
    console.log(`dist: fetching ${name}@${version} (usb's native code for ${platform}-${arch})`);
    const tarball = execFileSync('npm', ['pack', `${name}@${version}`, '--pack-destination', work, '--silent'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim().split('\n').pop();
    mkdirSync(dest, { recursive: true });
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', dest, '--strip-components=1']);
    return { name, dir: dest };
  } catch (error) {
    rmSync(dest, { recursive: true, force: true });
    throw new Error(
      `cannot get ${name}@${version}, usb's native code for ${platform}-${arch}: ${String(error.stderr ?? error.message).trim()}\n` +
        `Without the npm registry: unpack that package (npm pack ${name}@${version} on a machine that has the registry) into ${dest}, or build on that OS.`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main() {
  // Every path here (and fpm's `src=dest` entries in electron-builder.yml) is relative to the project.
  process.chdir(join(dirname(fileURLToPath(import.meta.url)), '..'));
  const options = parseArgs(process.argv.slice(2));
  if (options.build !== false) execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  else if (!existsSync('dist/cli.cjs')) throw new Error('--no-build: dist/ is not built (node scripts/build.mjs)');
  const usbNative = usbNativeSource(options.platform, options.arch, options.nativeDir);

  const { build, Platform, Arch } = await import('electron-builder');
  const platform = { linux: Platform.LINUX, win32: Platform.WINDOWS, darwin: Platform.MAC }[options.platform];
  const arch = Arch[options.arch];
  if (arch === undefined) throw new Error(`unknown --arch ${options.arch}`);
  const hidDirs = readdirSync('node_modules/node-hid/prebuilds');
  const usbPackages = readdirSync('node_modules/@node-usb').map((p) => `@node-usb/${p}`);
  const files = targetExclusions(options.platform, options.arch, hidDirs, usbPackages);
  if (usbNative) files.push({ from: usbNative.dir, to: `node_modules/${usbNative.name}` });
  const config = { files };
  if (options.electronDist) config.electronDist = options.electronDist;
  if (options.output) config.directories = { output: options.output };
  const targets = options.dir ? ['dir'] : (options.targets ?? []);
  const written = await build({ targets: platform.createTarget(targets.length ? targets : null, arch), config, publish: 'never' });
  for (const file of written) console.log(`dist: ${file}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(`dist: ${error.message}`);
    process.exit(1);
  });
}
