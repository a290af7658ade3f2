// --monitor-mapping through the built `spicedesk serve`: refused with exit 2 when malformed; given,
// it reaches head 1's page (HEAD_MAPPING) and is remembered for the VM's UUID (QEMU with -uuid);
// a later serve without the option uses the remembered one. Xspice sends no UUID: the mapping is
// used but nothing is stored.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostMessage } from '../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../src/protocol/bridge/kinds.ts';
import { decodeHostPacket } from '../../src/protocol/bridge/host-codec.ts';
import { encodeUiMessage } from '../../src/protocol/bridge/ui-codec.ts';
import { startServe } from '../e2e/serve-process.ts';
import { runCli } from '../helpers/cli.ts';
import { startQemu, type QemuServer } from '../peers/qemu.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';

const UUID = '6485b20f-e9da-614c-72b0-60a7857e7886';
const dirs: string[] = [];
const configDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'spicedesk-cfg-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Opens the bridge as head 1's page of target 0 and returns the HEAD_MAPPING the host sends once linked. */
function headMappingOf(url: string, timeoutMs = 30_000): Promise<Extract<HostMessage, { kind: 'head-mapping' }>> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}ws`, { origin: new URL(url).origin });
    const seen: string[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no HEAD_MAPPING within ${timeoutMs} ms; got ${seen.join(', ')}`));
    }, timeoutMs);
    ws.on('message', (data: Buffer) => {
      for (const m of decodeHostPacket(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))) {
        seen.push(m.kind === 'status' ? `status ${JSON.stringify(m.status)}` : m.kind);
        if (m.kind === 'hello') ws.send(encodeUiMessage({ kind: 'hello', version: BRIDGE_VERSION, target: 0 }));
        if (m.kind === 'head-mapping') {
          clearTimeout(timer);
          ws.close();
          resolve(m);
        }
      }
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

describe('--monitor-mapping on the command line', () => {
  it('refuses a malformed mapping with exit 2 and a line naming the problem', async () => {
    const cases: [string[], string][] = [
      [['serve', '--monitor-mapping', '1:1;1:2', 'spice://127.0.0.1:1'], 'spicedesk: --monitor-mapping: monitor mapping "1:1;1:2": guest head 1 is mapped twice\n'],
      [['serve', '--monitor-mapping=3:3', 'spice://127.0.0.1:1'], 'spicedesk: --monitor-mapping: monitor mapping "3:3": guest head 1 is missing: the mapping must name every head from 1 to 3\n'],
      [['open', '--monitor-mapping', '1:x', 'spice://127.0.0.1:1'], 'spicedesk: --monitor-mapping: monitor mapping "1:x": "1:x" is not GUEST-HEAD:CLIENT-MONITOR (two numbers from 1, such as 2:1)\n'],
      [['serve', 'spice://127.0.0.1:1', '--monitor-mapping'], 'spicedesk: --monitor-mapping needs a value such as 1:2;2:1\n'],
      [['serve', '--monitor-mapping', '1:1', '--monitor-mapping', '1:2', 'spice://127.0.0.1:1'], 'spicedesk: --monitor-mapping was given more than once\n'],
    ];
    for (const [args, stderr] of cases) {
      const r = await runCli(args, { env: { SPICEDESK_CONFIG_DIR: configDir() } });
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 2, stderr });
    }
  }, 60_000);

  it('is in the help text', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toMatch(/--monitor-mapping MAP\n\s+which client monitor shows which guest head/);
  });
});

describe('the mapping remembered per VM UUID through spicedesk serve (QEMU -uuid)', () => {
  let qemu: QemuServer | undefined;
  afterAll(async () => {
    await qemu?.stop();
  });

  it('stores a given mapping for the UUID and uses it again when none is given', async () => {
    qemu = await startQemu({ uuid: UUID });
    const cfg = configDir();
    const first = await startServe(['--monitor-mapping', '1:2;2:1', `spice://127.0.0.1:${qemu.port}`], { SPICEDESK_CONFIG_DIR: cfg });
    try {
      expect(await headMappingOf(first.url)).toEqual({ kind: 'head-mapping', source: 'given', mapping: [1, 0] });
    } finally {
      await first.stop();
    }
    const stored = JSON.parse(readFileSync(join(cfg, 'settings.json'), 'utf8'));
    // With the server's name for a person reading the file (QEMU without -name calls itself "QEMU <version>").
    expect(stored).toEqual({ version: 1, vms: { [UUID]: { monitorMapping: '1:2;2:1', name: expect.stringMatching(/^QEMU /) } } });

    // The same VM started again: Debian's spice-server (0.14.x) sometimes dies of a NULL pointer in
    // its display worker ("SPICE Worker ... segfault ... in libspice-server.so") after a gateway
    // session ends, so the second session gets a fresh QEMU with the same UUID (docs/testing.md).
    await qemu.stop();
    qemu = await startQemu({ uuid: UUID });
    const second = await startServe([`spice://127.0.0.1:${qemu.port}`], { SPICEDESK_CONFIG_DIR: cfg });
    try {
      const server = qemu;
      const mapping = await headMappingOf(second.url).catch(async (e: Error) => {
        const state = server.running() ? 'is running' : `has exited (${String(await server.exited)})`;
        throw new Error(`${e.message}\nQEMU ${state}; its output:\n${server.outputTail().slice(-2000)}`);
      });
      expect(mapping).toEqual({ kind: 'head-mapping', source: 'remembered', mapping: [1, 0] });
    } finally {
      await second.stop();
    }
  }, 120_000);
});

describe('a server without a VM UUID (Xspice)', () => {
  let xs: XspiceServer | undefined;
  afterAll(async () => {
    await xs?.stop();
  });

  it('uses the given mapping and stores nothing', async () => {
    xs = await startXspice({ numHeads: 2 });
    const cfg = configDir();
    const serve = await startServe(['--monitor-mapping', '1:1;2:2', `spice://127.0.0.1:${xs.port}`], { SPICEDESK_CONFIG_DIR: cfg });
    try {
      expect(await headMappingOf(serve.url)).toEqual({ kind: 'head-mapping', source: 'given', mapping: [0, 1] });
    } finally {
      await serve.stop();
    }
    expect(existsSync(join(cfg, 'settings.json'))).toBe(false);
  }, 120_000);
});
