// The audit of issue #11, end to end through the built CLI: a server that creates twelve
// 8192x8192 surfaces (and fills them) makes `capture` exit 6 with the budget's sentence while the
// process stays well under the budget plus Node's own memory (it took 3.2 GB before), and a
// CHANNELS_LIST of 2,560 entries links only what a real server offers. The server is a scripted
// fake session (test/peers/fake-session.ts) that links every channel and then sends what the test
// gives it; --memory-limit's values are checked here too.
import { afterEach, describe, expect, it } from 'vitest';
import { DisplayMsg } from '../../src/protocol/channels/display/display-messages.ts';
import { channelLimitFor } from '../../src/protocol/session/channel-limits.ts';
import { runCli, runCliMeasured } from '../helpers/cli.ts';
import type { MisbehavingServer } from '../peers/misbehaving-server.ts';
import { startFakeSession } from '../peers/fake-session.ts';
import { fillSurfaceBody, surfaceCreateBody } from '../helpers/huge-surfaces.ts';

const MiB = 1024 * 1024;

let server: MisbehavingServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const surfaceCreate = (id: number, side: number): Buffer => Buffer.from(surfaceCreateBody(id, side, id === 0));
const fillAll = (id: number, side: number): Buffer => Buffer.from(fillSurfaceBody(id, side));

/** A session whose main channel lists `channels` and whose display channels are sent `display`. */
function scriptedServer(channels: [number, number][], display: { type: number; body: Buffer }[] = []): Promise<MisbehavingServer> {
  return startFakeSession({
    channels,
    onDisplay: (connection) => {
      for (const m of display) connection.send(m.type, m.body);
    },
  });
}

describe('a server that asks for more memory than the session allows', () => {
  it('twelve 8192x8192 surfaces: capture exits 6 with the sentence, its memory bounded by the limit', async () => {
    const display: { type: number; body: Buffer }[] = [];
    for (let i = 0; i < 12; i++) display.push({ type: DisplayMsg.SURFACE_CREATE, body: surfaceCreate(i, 8192) }, { type: DisplayMsg.DRAW_FILL, body: fillAll(i, 8192) });
    server = await scriptedServer([[2, 0]], display);
    const r = await runCliMeasured(['capture', `spice://127.0.0.1:${server.port}`, '-o', '/tmp/spicedesk-budget-never-written.png', '--timeout', '20', '--memory-limit', '512M']);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(
      /^spicedesk: the server asked for surface 1 of 8192x8192 \(256 MiB\), which would take this session to (just over )?512 MiB of its 512 MiB memory limit \(held now: .*surfaces 256 MiB.*\)$/,
    );
    expect(r.code).toBe(6);
    // One 256 MiB surface plus Node (about 100 MiB): far below the 3 GB of twelve surfaces, and
    // below the limit itself plus Node's own memory.
    expect(r.peakRssBytes, `peak RSS ${Math.round(r.peakRssBytes / MiB)} MiB`).toBeLessThan(512 * MiB + 192 * MiB);
    // The client ended the session: it closed its connections, the server did not.
    await Promise.all(server.connections.map((c) => c.closed));
    expect(server.connections.every((c) => c.closedByClient)).toBe(true);
  }, 90_000);

  it('a CHANNELS_LIST of 2,560 entries links at most what a real server offers of each type', async () => {
    const list: [number, number][] = [];
    for (let type = 1; type <= 10; type++) for (let id = 0; id < 256; id++) list.push([type, id]);
    server = await scriptedServer(list);
    const r = await runCli(['info', `spice://127.0.0.1:${server.port}`, '--json', '--timeout', '20'], { killAfterMs: 60_000 });
    expect(r.code).toBe(0);
    const bound = [2, 3, 4, 5, 6, 8, 9, 10].reduce((n, type) => n + channelLimitFor(type), 0);
    const report = JSON.parse(r.stdout) as { channels: { type: string; status: string }[] };
    expect(report.channels.filter((c) => c.status === 'linked')).toHaveLength(1 + bound);
    // The main channel and the bounded others: no more connections than that.
    expect(server.connections).toHaveLength(1 + bound);
    expect(bound).toBeLessThan(100);
    const warnings = r.stderr.trim().split('\n');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/listed more channels than a SPICE server offers; not linking 240 display channels \(at most 16 linked\), 255 inputs channels/);
  }, 90_000);

  it.each([
    ['lots', /--memory-limit must be a size such as 512M, 1G or 1536M, got "lots"/],
    ['100M', /--memory-limit must be from 256 MiB to 1024 GiB, got "100M"/],
    ['1.5G', /--memory-limit must be a size such as 512M, 1G or 1536M, got "1.5G"/],
  ])('--memory-limit %s: exit 2 naming the value', async (value, text) => {
    for (const command of [['capture', 'spice://h:1', '-o', 'x.png'], ['info', 'spice://h:1'], ['do', 'spice://h:1', 'wait', '1'], ['serve', 'spice://h:1']]) {
      const r = await runCli([...command, '--memory-limit', value]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(text);
    }
  });
});
