// litmus (Debian's WebDAV compliance suite) against the shared folder's WebDAV server, through a
// TCP shim that exists only in this test (test/peers/webdav-tcp.ts: spicedesk's server never
// listens). The groups basic, copymove, props and locks must pass as far as phodav (spice-gtk's
// server) does: /work/shared/docs/devices.md §0.4 has its baseline (basic 16/16, copymove 13/13,
// props 29/30). Every test litmus reports is checked by name, so a regression names itself.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebdavServer } from '../../src/main/webdav/webdav-server.ts';
import { silentLogger } from '../../src/protocol/logger.ts';
import { requireTool } from '../peers/require-tool.ts';
import { listenWebdavShim, type WebdavTcpShim } from '../peers/webdav-tcp.ts';

interface LitmusRun {
  /** "name result" per test in order (names repeat: props runs propget after each change). */
  results: string[];
  output: string;
}

/** Runs one litmus group: each test's name and result. */
function litmus(group: string, url: string, cwd: string): Promise<LitmusRun> {
  const bin = requireTool('litmus', 'litmus');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [url], { env: { ...process.env, TESTS: group }, stdio: ['ignore', 'pipe', 'pipe'], cwd });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', reject);
    child.on('close', () => {
      // litmus echoes each test's name, then the name again with its result; a WARNING line comes
      // between the name and "...... pass (with 1 warning)". One entry per test, warnings kept.
      const results = [...output.matchAll(/\d+\. ([\w-]+)\.* (?:WARNING: [^\n]*\n\s*\.+ )?(pass|FAIL|SKIPPED)( \(with \d+ warnings?\))?/g)].map(
        (m) => `${m[1]} ${m[2]}${m[3] ? ' with a warning' : ''}`,
      );
      resolve({ results, output });
    });
  });
}

describe('litmus against the shared folder\'s WebDAV server', () => {
  const work = mkdtempSync(join(tmpdir(), 'spicedesk-litmus-'));
  // litmus writes its debug.log into its working folder: kept beside the shared one, not in it.
  const root = join(work, 'share');
  mkdirSync(root);
  let shim: WebdavTcpShim;
  beforeAll(async () => {
    shim = await listenWebdavShim(createWebdavServer({ root, readOnly: false, logger: silentLogger }));
  });
  afterAll(async () => {
    await shim?.close();
    rmSync(work, { recursive: true, force: true });
  });
  const url = () => `http://127.0.0.1:${shim.port}/`;

  // phodav: basic 16/16, copymove 13/13, props 29/30. Ours: all of them, with no warning.
  for (const [group, count] of [['basic', 16], ['copymove', 13], ['props', 30]] as const) {
    it(`${group}: every test passes`, { timeout: 60_000 }, async () => {
      const run = await litmus(group, url(), work);
      expect(run.results.filter((r) => !r.endsWith(' pass')), run.output).toEqual([]);
      expect(run.results, run.output).toHaveLength(count);
    });
  }

  // Locks are handed out and released but not enforced (architecture.md): a guest's spice-webdavd
  // and the file managers behind it take them, one client at a time. So the tests that need a lock
  // to refuse someone else (423), If: headers to be checked (412), shared locks or a refresh
  // through a collection member fail, and litmus skips what depends on the shared lock. The rest
  // (taking, discovering, refreshing and releasing exclusive locks, on files, collections and
  // unmapped URLs) passes. The list is exact: enforcing locks later turns this test red on purpose.
  it('locks: taking, discovering, refreshing and releasing pass; enforcement is not there', { timeout: 60_000 }, async () => {
    const run = await litmus('locks', url(), work);
    const notPassed = run.results.filter((r) => !r.endsWith(' pass'));
    expect(notPassed, run.output).toEqual(KNOWN_LOCK_FAILURES);
    expect(run.results.filter((r) => r.endsWith(' pass')).length, run.output).toBe(41 - KNOWN_LOCK_FAILURES.length);
  });
});

/** What fails, and why. */
const KNOWN_LOCK_FAILURES = [
  'notowner_modify FAIL', // DELETE of a file someone else locked is not refused (423)
  'notowner_lock FAIL', // a second exclusive LOCK on it is not refused either
  'notowner_modify FAIL',
  'notowner_lock FAIL',
  'fail_cond_put FAIL', // If: (<unknown token>) is not checked, so the PUT succeeds instead of 412
  'cond_put_corrupt_token FAIL',
  'fail_complex_cond_put FAIL',
  'unlock FAIL', // 409: the DELETE that should have been refused removed the file and its lock with it
  'fail_cond_put_unlocked FAIL',
  'lock_shared FAIL', // every lock handed out is exclusive; a shared one was asked for
  'notowner_modify SKIPPED', // the 7 tests that need the shared lock
  'notowner_lock SKIPPED',
  'owner_modify SKIPPED',
  'double_sharedlock SKIPPED',
  'notowner_modify SKIPPED',
  'notowner_lock SKIPPED',
  'unlock SKIPPED',
  'notowner_modify FAIL', // DELETE inside a collection someone else locked
  'indirect_refresh FAIL', // a refresh naming a member of a locked collection (locks cover only their own path)
];
