// How spicedesk ends a session, seen from a relay in front of a real Xspice: the display channel
// and then the main channel are ended by the client, inputs and playback by the server (it tears
// them down once the main channel has gone; the cursor channel, which the command line does not
// link, is closed with the display: test/unit/session/session-close.test.ts). Xspice crashed when a client ended
// its other channels itself while the server had output queued on them (docs/testing.md, "Xspice
// can crash under a client"): this fails on the order that did.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { startSpiceRelay } from '../peers/spice-relay.ts';
import { playFifo, startXspice, tcpAccepts, type XspiceServer } from '../peers/xspice.ts';

// Channel types, from docs/protocol.md.
const MAIN = 1;
const DISPLAY = 2;
const INPUTS = 3;
const PLAYBACK = 5;

const fifoDir = mkdtempSync(join(tmpdir(), 'spicedesk-session-end-'));
afterAll(() => rmSync(fifoDir, { recursive: true, force: true }));

describe('how spicedesk ends a session with Xspice', () => {
  let xs: XspiceServer;
  beforeAll(async () => {
    // The playback FIFO gives the session a playback channel: one more channel in Xspice's own event loop.
    xs = await startXspice({ imageCompression: 'off', audio: { fifoDir } });
  });
  afterAll(() => xs?.stop());

  it('the client ends display and main; the server ends inputs and playback; Xspice keeps serving', async () => {
    const relay = await startSpiceRelay({ port: xs.port }, {});
    const endedBy = (from: number) => Object.fromEntries(relay.channels.slice(from).map((c) => [c.type, c.endedBy]));
    try {
      for (let round = 0; round < 3; round++) {
        const from = relay.channels.length;
        const run = await runCli(['do', relay.url, 'move', '5', '5', 'key', 'shift', 'capture', join(fifoDir, 'screen.png')]);
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        expect(endedBy(from)).toEqual({ [MAIN]: 'client', [DISPLAY]: 'client', [INPUTS]: 'server' });
      }
      const from = relay.channels.length;
      // 0.3 s of a quiet tone, longer than the recording asked for.
      const tone = new Int16Array(48_000 * 2).fill(1000);
      const listening = runCli(['do', relay.url, 'listen', join(fifoDir, 'heard.wav'), '--seconds', '0.3', '--timeout', '20']);
      await relay.linked(PLAYBACK);
      await playFifo(fifoDir, tone);
      const heard = await listening;
      expect(heard.code, heard.stderr).toBe(0);
      expect(endedBy(from)).toEqual({ [MAIN]: 'client', [PLAYBACK]: 'server' });
      expect(await tcpAccepts(xs.port)).toBe(true);
    } finally {
      await relay.close();
    }
  });
});
