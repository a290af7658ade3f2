// spice+unix:// and the .vv unix-path against a real server listening on a Unix socket: QEMU with
// `-spice unix=on,addr=PATH` (spice-server then binds a Unix socket instead of a TCP port).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { sleep } from '../helpers/wait.ts';
import { qemuArgs } from '../peers/qemu.ts';
import { requireTool } from '../peers/require-tool.ts';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-unix-'));
const socketPath = join(dir, 'spice.sock');

/** QEMU's usual test arguments with the SPICE TCP listener swapped for a Unix socket. */
function unixSocketArgs(path: string): string[] {
  const args = qemuArgs(1, {}, undefined);
  const at = args.indexOf('-spice');
  if (at < 0) throw new Error('qemuArgs has no -spice option');
  args[at + 1] = `unix=on,addr=${path},disable-ticketing=on`;
  return args;
}

describe('QEMU with SPICE on a Unix socket', () => {
  let qemu: GroupProcess;
  beforeAll(async () => {
    const binary = requireTool('qemu-system-x86_64', 'qemu-system-x86');
    qemu = spawnGroup(binary, unixSocketArgs(socketPath), { name: 'qemu (spice on a Unix socket)', cleanupPaths: [dir] });
    for (let i = 0; i < 400 && !existsSync(socketPath); i++) {
      if (!qemu.running()) break;
      await sleep(50);
    }
    if (!existsSync(socketPath)) throw new Error(`QEMU made no socket at ${socketPath}:\n${qemu.outputTail()}`);
  });
  afterAll(async () => {
    await qemu?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('info over spice+unix:// links the main, display, inputs and cursor channels', async () => {
    const r = await runCli(['info', `spice+unix://${socketPath}`, '--json', '--timeout', '15']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const linked = report.channels.filter((c: { status: string }) => c.status === 'linked').map((c: { type: string }) => c.type);
    expect(linked).toEqual(expect.arrayContaining(['main', 'display', 'inputs', 'cursor']));
  });

  it('capture from a .vv file with unix-path', async () => {
    const vv = join(dir, 'unix.vv');
    writeFileSync(vv, `[virt-viewer]\ntype=spice\nunix-path=${socketPath}\n`);
    const out = join(dir, 'unix.png');
    const r = await runCli(['capture', vv, '-o', out, '--timeout', '15']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('a path with no socket says so (exit 3)', async () => {
    const r = await runCli(['info', `spice+unix://${join(dir, 'missing.sock')}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no Unix socket at .*missing\.sock/);
  });
});
