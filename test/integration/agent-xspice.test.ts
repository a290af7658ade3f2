// The guest agent against a real Xspice with spice-vdagent (test/peers/vdagent.ts): clipboard text
// both ways through `spicedesk do`, PNG images both ways through the library, the guest's mode
// after `resize` (xrandr), files landing whole in the agent's download folder, and the "disabled"
// answer of an agent without one. What the guest holds is read on the guest side with xclip.
// spice-server serves one client at a time, so each step connects alone.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipboardSelection, ClipboardType } from '../../src/protocol/channels/main/agent/agent-messages.ts';
import { MouseMode } from '../../src/protocol/channels/main/main-messages.ts';
import { silentLogger } from '../../src/protocol/logger.ts';
import { Session } from '../../src/protocol/session/session.ts';
import { LocalDisplaySink } from '../../src/protocol/display/local-display-sink.ts';
import { openSocket } from '../../src/main/transport/socket-transport.ts';
import { nodeTicketCrypto } from '../../src/main/node/ticket-crypto.ts';
import { runCli } from '../helpers/cli.ts';
import { encodePng } from '../peers/png.ts';
import { runToCompletion } from '../peers/processes.ts';
import { waitFor } from '../helpers/wait.ts';
import { requireTool } from '../peers/require-tool.ts';
import { startXspice, type XspiceServer } from '../peers/xspice.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-agent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The guest clipboard as bytes, read by an X client in the guest. */
async function guestClipboard(xs: XspiceServer, target = 'UTF8_STRING'): Promise<Buffer | undefined> {
  const r = await runToCompletion('xclip', ['-selection', 'clipboard', '-t', target, '-o'], { env: xs.env, timeoutMs: 3000 });
  return r.code === 0 ? r.stdout : undefined;
}

/** A PNG with a gradient and a transparent corner: enough to notice any re-encoding damage. */
function testPng(): Buffer {
  const width = 37;
  const height = 23;
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      rgba.set([x * 7, y * 11, (x * y) & 0xff, x < 5 && y < 5 ? 0 : 255], i);
    }
  }
  return encodePng({ width, height, rgba });
}

async function connectMainOnly(xs: XspiceServer): Promise<Session> {
  const session = new Session({
    connector: () => openSocket({ host: '127.0.0.1', port: xs.port }, 5000),
    crypto: nodeTicketCrypto,
    logger: silentLogger,
    displaySink: new LocalDisplaySink({ logger: silentLogger }),
    where: `127.0.0.1:${xs.port}`,
    shouldLink: () => false,
  });
  await session.connect();
  return session;
}

describe('guest agent against Xspice', () => {
  let xs: XspiceServer;
  let target: string;
  beforeAll(async () => {
    requireTool('xclip', 'xclip');
    requireTool('xrandr', 'x11-xserver-utils');
    xs = await startXspice({ vdagent: true });
    target = `spice://127.0.0.1:${xs.port}`;
  });
  afterAll(() => xs?.stop());

  it('clip-get prints text copied in the guest while connected', async () => {
    // spice-vdagent announces a copy only while a client is connected, so the guest copies again
    // and again during the wait: however long the link takes on a busy machine, a copy happens
    // while spicedesk is connected.
    const text = 'copied in the guest\nline two: héllo ✓';
    const run = runCli(['do', target, 'wait', '4', 'clip-get']);
    const copier = xs.run('sh', ['-c', `for i in $(seq 1 25); do printf '%s' "$TEXT" | xclip -selection clipboard -i; sleep 0.3; done`], { TEXT: text });
    const r = await run;
    await copier.stop(200);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(text);
  });

  it('clip-set text can be pasted in the guest while the connection lasts', async () => {
    const text = 'from spicedesk\nsecond line ✓';
    const run = runCli(['do', target, 'clip-set', text, 'wait', '4']);
    const pasted = await waitFor('the text in the guest clipboard', async () => {
      const got = (await guestClipboard(xs))?.toString('utf8');
      return got === text ? got : undefined;
    }).catch(async () => (await guestClipboard(xs))?.toString('utf8'));
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(pasted).toBe(text);
  });

  it('resize 1280x720 makes the guest mode 1280x720, and back', async () => {
    for (const size of ['1280x720', '1024x768']) {
      const r = await runCli(['do', target, 'resize', size]);
      expect(r.code, r.stderr).toBe(0);
      const [w, h] = size.split('x');
      const mode = await waitFor(`the guest mode ${size}`, async () => {
        const out = await xs.exec('xrandr', []);
        return out.includes(`current ${w} x ${h}`) ? size : undefined;
      }).catch(async () => (await xs.exec('xrandr', [])).split('\n')[0]);
      expect(mode).toBe(size);
    }
  });

  it('send copies files whole into the agent download folder, with progress', async () => {
    const big = join(dir, 'random data.bin');
    const bytes = randomBytes(700_000);
    writeFileSync(big, bytes);
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    const r = await runCli(['do', target, 'send', big, empty]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`sent ${big} (700000 bytes)`);
    expect(r.stderr).toMatch(/random data\.bin: \d+% \(/);
    const downloads = xs.agent!.downloadDir!;
    const landed = await waitFor('the files in the download folder', async () => {
      const names = readdirSync(downloads);
      return names.includes('random data.bin') && names.includes('empty.txt') ? names : undefined;
    });
    expect(landed).toContain('random data.bin');
    expect(Buffer.compare(readFileSync(join(downloads, 'random data.bin')), bytes)).toBe(0);
    expect(readFileSync(join(downloads, 'empty.txt')).byteLength).toBe(0);
  });

  it('a missing file is a usage error before connecting, naming it', async () => {
    const r = await runCli(['do', target, 'send', join(dir, 'no-such-file')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no-such-file');
  });

  it('PNG images cross both ways, and the mouse goes to client mode with the agent', async () => {
    const session = await connectMainOnly(xs);
    try {
      const agent = session.main.agent;
      await agent.whenReady();
      const png = testPng();

      // Guest to client: an image copied with xclip arrives with its type.
      const grabbed = new Promise<number[]>((resolve) => agent.clipboard.events.on('guest-grab', ({ types }) => resolve(types)));
      const png1 = join(dir, 'guest.png');
      writeFileSync(png1, png);
      const copier = xs.run('xclip', ['-selection', 'clipboard', '-t', 'image/png', '-i', png1]);
      expect(await grabbed).toContain(ClipboardType.IMAGE_PNG);
      const image = await agent.clipboard.requestImage(ClipboardSelection.CLIPBOARD);
      expect(image.mime).toBe('image/png');
      expect(Buffer.compare(Buffer.from(image.data), png)).toBe(0);
      await copier.stop(200);

      // Client to guest: the guest pastes the very bytes offered.
      await agent.clipboard.setPng(png);
      const pasted = await waitFor('the PNG in the guest clipboard', async () => {
        const got = await guestClipboard(xs, 'image/png');
        return got && got.byteLength > 0 ? got : undefined;
      });
      expect(Buffer.compare(pasted, png)).toBe(0);

      await waitFor('client mouse mode', async () => (session.main.info.currentMouseMode === MouseMode.CLIENT ? true : undefined), 3000);
      expect(agent.malformedCount).toBe(0);
    } finally {
      session.close();
    }
  });
});

describe('guest agent with two heads and file transfer off', () => {
  let xs: XspiceServer;
  let target: string;
  beforeAll(async () => {
    xs = await startXspice({ vdagent: { downloadDir: false }, numHeads: 2 });
    target = `spice://127.0.0.1:${xs.port}`;
  });
  afterAll(() => xs?.stop());

  it('resize with two sizes gives two outputs side by side', async () => {
    const r = await runCli(['do', target, 'resize', '800x600,1024x768']);
    expect(r.code, r.stderr).toBe(0);
    const layout = await waitFor('the two-head layout', async () => {
      const out = await xs.exec('xrandr', []);
      const heads = [...out.matchAll(/^(qxl-\d) connected (?:primary )?(\d+x\d+\+\d+\+\d+)/gm)].map((m) => `${m[1]} ${m[2]}`);
      return heads.length === 2 && heads[1] === 'qxl-1 1024x768+800+0' ? heads : undefined;
    }).catch(async () => (await xs.exec('xrandr', [])).split('\n').filter((l) => l.startsWith('qxl')));
    expect(layout).toEqual(['qxl-0 800x600+0+0', 'qxl-1 1024x768+800+0']);
  });

  it('a transfer to an agent without file transfer fails with "disabled", by name, exit 9', async () => {
    const file = join(dir, 'refused.txt');
    writeFileSync(file, 'not wanted');
    const r = await runCli(['do', target, 'send', file]);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain(`send ${file} failed: the agent has file transfer disabled`);
  });
});
