// The audit of issue #11 on a real session: a relay between `capture` and Xspice adds twelve
// 8192x8192 SURFACE_CREATE + DRAW_FILL messages in front of the server's first surface. With the
// default budget (1 GiB) the fourth does not fit: capture exits 6 with the sentence naming it, and
// the process's peak memory stays under the budget plus Node's own (it reached 3.2 GB before).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisplayMsg } from '../../src/protocol/channels/display/display-messages.ts';
import { runCliMeasured } from '../helpers/cli.ts';
import { startSpiceRelay, type RelayedMessage } from '../peers/spice-relay.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';
import { fillSurfaceBody, surfaceCreateBody } from '../helpers/huge-surfaces.ts';

const MiB = 1024 * 1024;
const DISPLAY = 2;

const surfaceCreate = (id: number, side: number): RelayedMessage => ({ type: DisplayMsg.SURFACE_CREATE, body: surfaceCreateBody(id, side) });
const fillAll = (id: number, side: number): RelayedMessage => ({ type: DisplayMsg.DRAW_FILL, body: fillSurfaceBody(id, side) });

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
      const r = await runCliMeasured(['capture', relay.url, '-o', '/tmp/spicedesk-budget-never-written.png', '--timeout', '30']);
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
