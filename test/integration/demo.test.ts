// `spicedesk demo --once` (what `npm start` runs): a local Xspice, info, a capture, and nothing
// left running afterwards.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { isUniform } from '../peers/image.ts';
import { readPng } from '../peers/png.ts';
import { requireTool } from '../peers/require-tool.ts';
import { waitUntil } from '../helpers/wait.ts';
import { runCli } from '../helpers/cli.ts';

function xorgDisplays(): string[] {
  try {
    return execFileSync('pgrep', ['-af', 'spicedesk-demo-'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

it('demo --once starts a local server, shows info, writes a capture and stops the server', async () => {
  requireTool('Xspice', 'xserver-xspice');
  requireTool('xterm', 'xterm');
  const dir = mkdtempSync(join(tmpdir(), 'spicedesk-demo-test-'));
  try {
    const out = join(dir, 'demo.png');
    const r = await runCli(['demo', '--once', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ +display +linked/m);
    expect(r.stdout).toMatch(/desktop window is not implemented yet/);
    const image = readPng(out);
    expect([image.width, image.height]).toEqual([1024, 768]);
    expect(isUniform(image)).toBe(false);
    // The demo's Xorg is told to stop before the command exits; it may take a moment to go.
    await waitUntil("the demo's Xorg to exit", () => xorgDisplays().length === 0, 10_000).catch(() => undefined);
    expect(xorgDisplays()).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
