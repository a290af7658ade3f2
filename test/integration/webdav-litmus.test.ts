// litmus (Debian's WebDAV compliance suite) against the shared folder's WebDAV server, through a
// TCP shim that exists only in this test (test/peers/webdav-tcp.ts: spicedesk's server never
// listens). The groups basic, copymove, props and locks must pass at least as far as phodav
// (spice-gtk's server) does: /work/shared/docs/devices.md §0.4 has its baseline (basic 16/16,
// copymove 13/13, props 29/30). Every test litmus reports is listed, so a regression names itself.
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

  // Locks are enforced (dav-locks.ts): a change without the lock's token gets 423, an If header
  // that does not hold 412, shared locks coexist, a refresh may name a folder's lock through a
  // member. litmus's 41 lock tests all pass (phodav's baseline stops before this group).
  it('locks: every test passes', { timeout: 60_000 }, async () => {
    const run = await litmus('locks', url(), work);
    expect(run.results.filter((r) => !r.endsWith(' pass')), run.output).toEqual([]);
    expect(run.results, run.output).toHaveLength(41);
  });
});
