// The audit of issue #11 on a real session: a relay between `capture` and Xspice adds twelve
// 8192x8192 SURFACE_CREATE + DRAW_FILL messages in front of the server's first surface. With the
// default budget (1 GiB) the fourth does not fit: capture exits 6 with the sentence naming it, and
// the process's peak memory stays under the budget plus Node's own (it reached 3.2 GB before).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisplayMsg } from '../../src/protocol/channels/display/display-messages.ts';
import { WireWriter } from '../../src/protocol/wire/writer.ts';
import { BIN } from '../helpers/cli.ts';
import { requireTool } from '../peers/require-tool.ts';
import { startSpiceRelay, type RelayedMessage } from '../peers/spice-relay.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';
import { body, box } from '../unit/channels/display/body-builder.ts';

const MiB = 1024 * 1024;
const DISPLAY = 2;

const surfaceCreate = (id: number, side: number): RelayedMessage => ({
  type: DisplayMsg.SURFACE_CREATE,
  body: new WireWriter().u32(id).u32(side).u32(side).u32(32).u32(0).finish(),
});
const fillAll = (id: number, side: number): RelayedMessage => ({
  type: DisplayMsg.DRAW_FILL,
  body: body((x) => {
    x.base(id, box(0, 0, side, side));
    x.w.u8(1).u32(0x336699); // solid brush
    x.w.u16(1 << 3); // OP_PUT
    x.noMask();
  }),
});

/** Runs the CLI under /usr/bin/time, which reports the process's peak resident set. */
function runMeasured(args: string[]): Promise<{ code: number | null; stderr: string; peakRssBytes: number }> {
  const time = requireTool('/usr/bin/time', 'time');
  return new Promise((resolve, reject) => {
    const child = spawn(time, ['-f', 'peak-rss-kb=%M', process.execPath, BIN, ...args], { env: { ...process.env, SPICE_PASSWORD: undefined }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const m = /peak-rss-kb=(\d+)/.exec(stderr);
      if (!m) return reject(new Error(`/usr/bin/time reported no peak: ${stderr}`));
      const own = stderr.replace(/^Command exited with non-zero status \d+\n/m, '').replace(/peak-rss-kb=\d+\n?/, '');
      resolve({ code, stderr: own, peakRssBytes: Number(m[1]) * 1024 });
    });
  });
}

describe('huge surfaces added to a real Xspice session', () => {
  let xs: XspiceServer;
  beforeAll(async () => {
    xs = await startXspice({ imageCompression: 'off' });
  });
  afterAll(() => xs?.stop());

  it('capture exits 6 with the sentence, its memory bounded by the default budget', async () => {
    let injected = false;
    const relay = await startSpiceRelay(
      { port: xs.port },
      {
        fromServer(channel, message) {
          if (channel.type !== DISPLAY || injected || message.type !== DisplayMsg.SURFACE_CREATE) return undefined;
          injected = true;
          const added: RelayedMessage[] = [];
          for (let i = 1; i <= 12; i++) added.push(surfaceCreate(i, 8192), fillAll(i, 8192));
          return [...added, message];
        },
      },
    );
    try {
      const r = await runMeasured(['capture', relay.url, '-o', '/tmp/spicedesk-budget-never-written.png', '--timeout', '30']);
      expect(injected).toBe(true);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(
        /^spicedesk: the server asked for surface 4 of 8192x8192 \(256 MiB\), which would take this session to (just over 1|1\.0\d) GiB of its 1 GiB memory limit \(held now: .*surfaces 768 MiB.*\)$/,
      );
      expect(r.code).toBe(6);
      // Three 256 MiB surfaces plus Node: well under the 3.2 GB of twelve, and under the budget plus Node's own memory.
      expect(r.peakRssBytes, `peak RSS ${Math.round(r.peakRssBytes / MiB)} MiB`).toBeLessThan(1024 * MiB + 192 * MiB);
    } finally {
      await relay.close();
    }
  }, 90_000);
});
