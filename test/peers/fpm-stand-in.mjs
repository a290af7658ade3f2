#!/usr/bin/env node
// A stand-in for fpm (not packaged for Debian; electron-builder downloads a Ruby bundle of it),
// given to electron-builder as CUSTOM_FPM_PATH by test/integration/packaging.test.ts, so that the
// real deb and rpm targets run: electron-builder writes the desktop entry, the MIME XML, the
// install scripts and the control fields and hands fpm the `src=dest` list it would package.
//
// It takes the options electron-builder passes (any other is an error, so a new one is noticed),
// writes what it was given to $FPM_STAND_IN_RECORD/<target>.json, and for -t deb lays the files out
// as fpm does (a `dir/=dest` entry copies the directory's contents) and builds the package with
// dpkg-deb. The maintainer scripts are recorded, not packaged: `dpkg --root` with
// --force-script-chrootless would run them on this machine. For -t rpm it only records.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const WITH_VALUE = new Set([
  '-s', '-t', '-d', '--deb-recommends', '--deb-compression', '--deb-priority', '--rpm-os', '--rpm-compression', '--rpm-summary',
  '--architecture', '--after-install', '--after-remove', '--description', '--version', '--package', '--name', '--maintainer',
  '--vendor', '--url', '--category', '--license', '--iteration', '--log',
]);
const FLAGS = new Set(['--force', '--debug']);

const options = {};
const files = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (WITH_VALUE.has(arg)) {
    if (i + 1 >= args.length) fail(`${arg} needs a value`);
    (options[arg] ??= []).push(args[++i]);
  } else if (FLAGS.has(arg)) options[arg] = [true];
  else if (arg.startsWith('-')) fail(`unknown option ${arg}`);
  else {
    const eq = arg.indexOf('=');
    if (eq <= 0 || !arg.slice(eq + 1).startsWith('/')) fail(`not a src=/dest entry: ${arg}`);
    files.push({ src: arg.slice(0, eq), dest: arg.slice(eq + 1) });
  }
}
const one = (name) => {
  const values = options[name];
  if (values?.length !== 1) fail(`${name} must be given once`);
  return values[0];
};
if (one('-s') !== 'dir') fail('-s must be dir');
const target = one('-t');
const record = process.env.FPM_STAND_IN_RECORD;
if (!record) fail('FPM_STAND_IN_RECORD is not set');
mkdirSync(record, { recursive: true });
// The scripts are temporary files electron-builder removes when it is done: their text is kept.
const scripts = { afterInstall: readFileSync(one('--after-install'), 'utf8'), afterRemove: readFileSync(one('--after-remove'), 'utf8') };
writeFileSync(join(record, `${target}.json`), JSON.stringify({ options, files, scripts }, null, 2));
const packagePath = one('--package');

if (target === 'deb') {
  const tree = `${packagePath}.tree`;
  rmSync(tree, { recursive: true, force: true });
  for (const { src, dest } of files) {
    let isDir;
    try {
      isDir = statSync(src).isDirectory();
    } catch {
      fail(`error: File not found: ${src}`);
    }
    const to = join(tree, dest);
    mkdirSync(isDir ? to : dirname(to), { recursive: true });
    cpSync(src, to, { recursive: true, verbatimSymlinks: true });
  }
  const [summary, ...more] = one('--description').split('\n');
  const control = [
    `Package: ${one('--name')}`,
    `Version: ${one('--version')}`,
    `Architecture: ${one('--architecture')}`,
    `Maintainer: ${one('--maintainer')}`,
    `Homepage: ${one('--url')}`,
    `Priority: ${one('--deb-priority')}`,
    `Depends: ${(options['-d'] ?? []).join(', ')}`,
    `Recommends: ${(options['--deb-recommends'] ?? []).join(', ')}`,
    `Description: ${summary}`,
    ...more.map((l) => (l.trim() === '' ? ' .' : ` ${l.trim()}`)),
  ];
  mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
  writeFileSync(join(tree, 'DEBIAN', 'control'), `${control.join('\n')}\n`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Znone', '--build', tree, packagePath], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(tree, { recursive: true, force: true });
} else if (target === 'rpm') {
  writeFileSync(packagePath, 'not an rpm: fpm-stand-in.mjs only records what an rpm would hold\n');
} else {
  fail(`-t ${target}: only deb and rpm`);
}

function fail(message) {
  process.stderr.write(`fpm-stand-in: ${message}\n`);
  process.exit(1);
}
