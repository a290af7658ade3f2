// A real Xspice session, broken on purpose by the SPICE relay (test/peers/spice-relay.ts): a
// channel's connection cut mid-session, the display link refused, a corrupted image put into the
// first frame, and a stream of the costliest draws. Each command ends with the README's exit code
// and one line saying what happened, and `capture --timeout` holds.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { showXterm, solidBackground, waitForStableScreen } from '../peers/desktop.ts';
import { drawComposite, drawCopyOfBitmap, drawCopyOfCorruptImage, drawRop3, surfaceCreate } from '../peers/fake-session.ts';
import { startSpiceRelay, type RelayHooks, type SpiceRelay } from '../peers/spice-relay.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';

// Channel types and message numbers, from docs/protocol.md.
const MAIN = 1;
const DISPLAY = 2;
const MSG_MAIN_CHANNELS_LIST = 104;
const MSG_DISPLAY_MARK = 102;
const MSG_DISPLAY_DRAW_COPY = 304;
const MSG_DISPLAY_DRAW_ROP3 = 309;
const MSG_DISPLAY_DRAW_COMPOSITE = 318;
const MSG_DISPLAY_SURFACE_CREATE = 314;
const LINK_ERR_PERMISSION_DENIED = 7;
const LINK_ERR_CHANNEL_NOT_AVAILABLE = 9;

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-session-errors-xspice-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let xs: XspiceServer;
let relay: SpiceRelay | undefined;
beforeAll(async () => {
  xs = await startXspice({ imageCompression: 'quic' });
  await solidBackground(xs, '#336699');
  await showXterm(xs, { columns: 40, rows: 5, x: 20, y: 20, title: 'errors' });
  await waitForStableScreen(xs.port);
}, 60_000);
afterAll(() => xs?.stop());
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

type Command = 'capture' | 'do' | 'info';

async function through(hooks: RelayHooks, command: Command, timeoutS = 8): Promise<{ code: number | null; line: string; stdout: string; ms: number; png: string }> {
  relay = await startSpiceRelay({ port: xs.port }, hooks);
  const png = join(dir, `${command}.png`);
  rmSync(png, { force: true });
  const args =
    command === 'capture'
      ? ['capture', relay.url, '-o', png, '--timeout', String(timeoutS)]
      : command === 'do'
        ? ['do', relay.url, 'capture', png, '--timeout', String(timeoutS)]
        : ['info', relay.url, '--timeout', String(timeoutS)];
  const r = await runCli(args);
  const lines = r.stderr.trim().split('\n').filter((l) => l !== '');
  if (command !== 'info' || r.code !== 0) expect(lines, r.stderr).toHaveLength(1);
  return { code: r.code, line: lines[0] ?? '', stdout: r.stdout, ms: r.ms, png };
}

describe('a channel cut mid-session: exit 3, "the server closed the ... connection"', () => {
  it.each(['capture', 'do'] as const)('%s: the display, cut when the server creates its surface', async (command) => {
    const r = await through(
      {
        fromServer: (channel, m) => {
          if (channel.type !== DISPLAY || m.type !== MSG_DISPLAY_SURFACE_CREATE) return undefined;
          channel.cut();
          return [];
        },
      },
      command,
      60,
    );
    expect(r.code, r.line).toBe(3);
    expect(r.line).toMatch(/^spicedesk: the server closed the display channel connection( \(.+\))?$/);
    // The cut ends the run, not the --timeout of 60 s (a bound no loaded machine reaches).
    expect(r.ms).toBeLessThan(30_000);
  });

  it.each(['capture', 'do'] as const)('%s: the main channel, cut when the channel list comes', async (command) => {
    const r = await through(
      {
        fromServer: (channel, m) => {
          if (channel.type !== MAIN || m.type !== MSG_MAIN_CHANNELS_LIST) return undefined;
          channel.cut();
          return [];
        },
      },
      command,
    );
    expect(r.code, r.line).toBe(3);
    // A reset may add the socket's reason in brackets; never the bare "connection to ... failed: write EPIPE".
    expect(r.line).toMatch(/the server closed the main channel connection( \(.+\))?/);
    expect(r.line).not.toMatch(/failed: (read|write) /);
  });
});

describe('the display link refused', () => {
  it.each([
    [LINK_ERR_PERMISSION_DENIED, 4, /the display channel was refused: the server at .* refused the password/],
    [LINK_ERR_CHANNEL_NOT_AVAILABLE, 6, /the display channel was refused: the server at .* has no display channel to link/],
  ])('link error %i: capture and do exit %i at once, naming the display channel', async (linkError, exit, text) => {
    for (const command of ['capture', 'do'] as const) {
      const r = await through({ onLinkRequest: (request) => (request.type === DISPLAY ? linkError : undefined) }, command, 60);
      expect(r.code, `${command}: ${r.line}`).toBe(exit);
      expect(r.line).toMatch(text);
      expect(r.ms).toBeLessThan(30_000); // not the --timeout of 60 s
      await relay?.close();
      relay = undefined;
    }
  });

  it('info: the display line says it was refused and why', async () => {
    const r = await through({ onLinkRequest: (request) => (request.type === DISPLAY ? LINK_ERR_CHANNEL_NOT_AVAILABLE : undefined) }, 'info');
    expect(r.code, r.line).toBe(0);
    expect(r.stdout).toMatch(/^ {2}display +failed +the display channel was refused: .*has no display channel to link/m);
  });
});

describe('a corrupted image in the first frame', () => {
  const corruptBeforeMark: RelayHooks = {
    fromServer: (channel, m) => {
      if (channel.type !== DISPLAY || m.type !== MSG_DISPLAY_MARK) return undefined;
      const corrupt = drawCopyOfCorruptImage(0, { left: 10, top: 10, right: 42, bottom: 42 }, 'quic');
      return [{ type: MSG_DISPLAY_DRAW_COPY, body: new Uint8Array(corrupt) }, m];
    },
  };

  it.each(['capture', 'do'] as const)('%s writes the PNG and exits 6, naming the draw', async (command) => {
    const r = await through(corruptBeforeMark, command);
    expect(r.code, r.line).toBe(6);
    expect(r.line).toMatch(/\.png is written but is not a true picture of display 0.*: a draw could not be applied, so its area shows what was there before: .*QUIC.*message DRAW_COPY \(304\)/);
    expect(existsSync(r.png)).toBe(true);
  });
});

describe('--timeout holds whatever the server sends', () => {
  const S = 8192;
  const whole = { left: 0, top: 0, right: S, bottom: S };
  const size = { width: S, height: S };
  const costly: [string, () => { type: number; body: Uint8Array }][] = [
    ['bilinear composites through a transform over 8192x8192', () => ({ type: MSG_DISPLAY_DRAW_COMPOSITE, body: new Uint8Array(drawComposite(1, whole, 2, size)) })],
    ['scaled ROP3s over 8192x8192', () => ({ type: MSG_DISPLAY_DRAW_ROP3, body: new Uint8Array(drawRop3(1, whole, 2, size, { left: 0, top: 0, right: S / 2, bottom: S / 2 })) })],
    ['8192x8192 1-bit bitmaps (decoded where they are drawn)', () => ({ type: MSG_DISPLAY_DRAW_COPY, body: new Uint8Array(drawCopyOfBitmap(1, whole, 1)) })],
  ];
  it.each(costly)('%s after the first surface, and no MARK: capture --timeout 5 exits 7 within 7 s of the link', async (_, draw) => {
    // Measured from the main channel's link (where --timeout starts counting), not from the
    // process's start, which a loaded machine slows down on its own.
    let mainLinkedAt = 0;
    const r = await through(
      {
        onLinked: (channel) => void (channel.type === MAIN && (mainLinkedAt = Date.now())),
        fromServer: (channel, m) => {
          if (channel.type !== DISPLAY) return undefined;
          if (m.type === MSG_DISPLAY_MARK) return [];
          if (m.type !== MSG_DISPLAY_SURFACE_CREATE) return undefined;
          const extra = [1, 2].map((id) => ({ type: MSG_DISPLAY_SURFACE_CREATE, body: new Uint8Array(surfaceCreate(id, S, S, false, id === 2)) }));
          // One message sent 20 times: building 20 of the 8 MB bitmaps would load this process.
          const costlyDraw = draw();
          return [m, ...extra, ...Array.from({ length: 20 }, () => costlyDraw)];
        },
      },
      'capture',
      5,
    );
    expect(r.code, r.line).toBe(7);
    expect(r.line).toMatch(/no complete frame from display 0 of .* within 5 s/);
    expect(Date.now() - mainLinkedAt).toBeLessThan(7000);
  });
});
