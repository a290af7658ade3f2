// Hostile bytes on the print port (a scripted server, peers/fake-session.ts): the server first
// plays a good guest job through the port (so printing works: READY, the document, OK, the file
// saved), then sends bytes that are no job header. The guest side gets an ERR line naming what was
// wrong, the port channel ends with that message, and the session goes on: the display's first
// frame, sent only once the port channel has closed, is what `do capture` writes.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildPrintJobHeader } from '../../src/protocol/channels/port/print-port.ts';
import { runCli } from '../helpers/cli.ts';
import { clientMessages, displayMessages as M, drawFill, portInit, startFakeSession, surfaceCreate, type DisplayConnection } from '../peers/fake-session.ts';
import type { MisbehavingServer } from '../peers/misbehaving-server.ts';

const CHANNEL_DISPLAY = 2;
const CHANNEL_PORT = 10;
// spice.proto: SpicevmcChannel DATA 101; PortChannel INIT 201 (server).
const VMC_DATA = 101;
const PORT_INIT = 201;

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-print-misbehaving-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let server: MisbehavingServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** What the client sent back on the port, as text. */
function portReplies(sent: Buffer): string {
  return clientMessages(sent).filter((m) => m.type === VMC_DATA).map((m) => m.body.toString('latin1')).join('');
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
const screen = { left: 0, top: 0, right: 32, bottom: 24 };

describe('hostile bytes on the print port', () => {
  it.each([
    ['bytes that are no job header', Buffer.from('GET / HTTP/1.1\r\n\r\n'), /print job starting with bytes 47 45 54 20, not "SDPJ"/],
    ['a job header of another version', Buffer.from([0x53, 0x44, 0x50, 0x4a, 2, 1, 0, 0, 0]), /print job version 2 \(spicedesk takes version 1\)/],
    ['a header claiming 4 GiB of JSON', Buffer.from([0x53, 0x44, 0x50, 0x4a, 1, 0xff, 0xff, 0xff, 0xff]), /print job header of 4294967295 bytes of JSON \(1 to 65536 taken\)/],
  ])('%s: the guest gets ERR, the channel ends naming it, the session goes on', { timeout: 30_000 }, async (_what, hostile, text) => {
    let display: DisplayConnection | undefined;
    let portClosed = false;
    let sent = Buffer.alloc(0);
    const drawFirstFrame = (): void => {
      if (!display || !portClosed) return;
      display.send(M.SURFACE_CREATE, surfaceCreate(0, 32, 24));
      display.send(M.DRAW_FILL, drawFill(0, screen, 0x00ff00));
      display.send(M.MARK, Buffer.alloc(0));
    };
    server = await startFakeSession({
      channels: [[CHANNEL_DISPLAY, 0], [CHANNEL_PORT, 0]],
      onDisplay(d) {
        display = d;
        drawFirstFrame();
      },
      onChannel(type, c) {
        if (type !== CHANNEL_PORT) return;
        c.socket.on('close', () => {
          portClosed = true;
          drawFirstFrame();
        });
        c.send(PORT_INIT, portInit('org.spicedesk.print.0', true));
        let stage: 'header' | 'document' | 'hostile' = 'header';
        c.socket.on('data', (chunk: Buffer) => {
          sent = Buffer.concat([sent, chunk]);
          const replies = portReplies(sent);
          if (stage === 'header' && replies === 'READY\n') {
            stage = 'document';
            c.send(VMC_DATA, PDF);
          } else if (stage === 'document' && /^READY\nOK /.test(replies)) {
            stage = 'hostile';
            c.send(VMC_DATA, hostile);
          }
        });
        c.send(VMC_DATA, Buffer.from(buildPrintJobHeader({ title: 'good', format: 'pdf' }, PDF.length)));
      },
    });
    const saved = join(dir, `saved-${Date.now()}`);
    mkdirSync(saved);
    const png = join(dir, 'after.png');
    rmSync(png, { force: true });
    const r = await runCli(['do', `spice://127.0.0.1:${server.port}`, 'capture', png, '--print-to', `save:${saved}`, '--timeout', '10', '-v']);
    expect(r.code, r.stderr).toBe(0);
    // The good job was saved before the hostile bytes came.
    expect(readdirSync(saved)).toEqual(['good.pdf']);
    expect(readFileSync(join(saved, 'good.pdf')).equals(PDF)).toBe(true);
    // The guest side heard why, the channel ended naming it, the frame after that was captured.
    expect(portReplies(sent)).toMatch(new RegExp(`^READY\\nOK saved as .*good\\.pdf\\nERR .*${text.source}`));
    // The log is JSON lines: quotes come escaped there.
    expect(r.stderr).toMatch(new RegExp(`port channel failed: malformed data from the server: (a )?${text.source.replace(/"/g, '\\\\?"')}`));
    expect(portClosed).toBe(true);
    expect(existsSync(png)).toBe(true);
  });
});
