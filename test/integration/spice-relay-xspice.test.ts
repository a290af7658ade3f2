// The SPICE relay (test/peers/spice-relay.ts) against a real Xspice: a capture through it must be
// the same picture as one without it, and its hooks must see each channel's messages both ways.
// Tests that play a hostile server on top of a real session rely on this.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { showXterm, solidBackground, waitForStableScreen } from '../peers/desktop.ts';
import { comparePixels, readPng } from '../peers/png.ts';
import { startSpiceRelay, type RelayedChannel } from '../peers/spice-relay.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';

// Channel types and message numbers, from docs/protocol.md.
const MAIN = 1;
const DISPLAY = 2;
const MSG_DISPLAY_SURFACE_CREATE = 314;
const MSGC_DISPLAY_INIT = 101;
const LINK_ERR_PERMISSION_DENIED = 7;

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-relay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the SPICE relay between spicedesk and Xspice', () => {
  let xs: XspiceServer;
  beforeAll(async () => {
    xs = await startXspice({ imageCompression: 'off' });
    await solidBackground(xs, '#336699');
    await showXterm(xs, { columns: 40, rows: 5, x: 20, y: 20, title: 'relay' });
    await waitForStableScreen(xs.port);
  });
  afterAll(() => xs?.stop());

  it('relays a whole session: the capture equals a direct one, and the hooks see messages both ways', async () => {
    const seen: string[] = [];
    const relay = await startSpiceRelay(
      { port: xs.port },
      {
        fromServer: (c: RelayedChannel, m) => void seen.push(`server ${c.type} ${m.type}`),
        fromClient: (c: RelayedChannel, m) => void seen.push(`client ${c.type} ${m.type}`),
      },
    );
    try {
      const direct = join(dir, 'direct.png');
      const relayed = join(dir, 'relayed.png');
      const a = await runCli(['capture', `spice://127.0.0.1:${xs.port}`, '-o', direct, '--timeout', '10']);
      expect(a.stderr).toBe('');
      const b = await runCli(['capture', relay.url, '-o', relayed, '--timeout', '10']);
      expect(b.stderr).toBe('');
      expect(b.code).toBe(0);
      expect(comparePixels(readPng(direct), readPng(relayed), { ignoreAlpha: true }).differing).toBe(0);
      expect(relay.channels.map((c) => c.type)).toEqual(expect.arrayContaining([MAIN, DISPLAY]));
      expect(relay.channels.every((c) => c.framed)).toBe(true);
      expect(seen).toContain(`server ${DISPLAY} ${MSG_DISPLAY_SURFACE_CREATE}`);
      expect(seen).toContain(`client ${DISPLAY} ${MSGC_DISPLAY_INIT}`);
    } finally {
      await relay.close();
    }
  });

  it('refuses a channel link as a server would: the client is told, and the server is never asked', async () => {
    const asked: number[] = [];
    const relay = await startSpiceRelay(
      { port: xs.port },
      { onLinkRequest: (r) => (asked.push(r.type), r.type === DISPLAY ? LINK_ERR_PERMISSION_DENIED : undefined) },
    );
    try {
      const r = await runCli(['capture', relay.url, '-o', join(dir, 'refused.png'), '--timeout', '5']);
      expect(r.code).not.toBe(0);
      expect(asked).toContain(DISPLAY);
      expect(relay.channels.map((c) => c.type)).toContain(MAIN);
      expect(relay.channels.map((c) => c.type)).not.toContain(DISPLAY);
    } finally {
      await relay.close();
    }
  });
});
