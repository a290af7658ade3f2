// QEMU with qxl, audio, usbredir, the webdav port and the agent port: every channel it lists
// links cleanly, and capture shows the firmware screen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUniform } from '../peers/image.ts';
import { explainMismatch, readPng } from '../peers/png.ts';
import type { RgbaImage } from '../peers/image.ts';
import { waitForStableScreen } from '../peers/desktop.ts';
import { spicyScreenshot } from '../peers/spicy.ts';
import { startQemu, type QemuServer } from '../peers/qemu.ts';
import { runCli } from '../helpers/cli.ts';
import { waitUntil } from '../helpers/wait.ts';
import { writeFileSync } from 'node:fs';
import { UsbredirChannel } from '../../src/protocol/channels/usbredir/usbredir-channel.ts';
import { LocalDisplaySink } from '../../src/protocol/display/local-display-sink.ts';
import { ChannelType } from '../../src/protocol/link/constants.ts';
import { silentLogger } from '../../src/protocol/logger.ts';
import { Session } from '../../src/protocol/session/session.ts';
import { nodeTicketCrypto } from '../../src/main/node/ticket-crypto.ts';
import { openSocket } from '../../src/main/transport/socket-transport.ts';
import { UsbAttachError, UsbredirHost } from '../../src/main/usb/usbredir-host.ts';
import { SimulatedDisk, SimulatedKeyboard, SimulatedUsbSource } from '../peers/usb-simulated.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-qemu-'));

describe('QEMU with every channel type', () => {
  let qemu: QemuServer;
  beforeAll(async () => {
    qemu = await startQemu({ audio: true, usbredir: 2, usbredirFilter: '0x03:-1:-1:-1:0|-1:-1:-1:-1:1', webdav: true, agentPort: true });
  }, 60_000);
  afterAll(async () => {
    await qemu?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('info links every listed channel without an error', async () => {
    const r = await runCli(['info', `spice://127.0.0.1:${qemu.port}`, '--json', '--timeout', '20']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      channels: { type: string; id: number; status: string; detail?: string }[]; uuid?: string; name?: string;
      audio: unknown;
      usbSlots: { id: number; guest: string | null; caps: number[]; filter: string | null; device: string }[];
    };
    const kinds = report.channels.map((c) => `${c.type}:${c.id}`);
    expect(kinds).toEqual(
      expect.arrayContaining(['main:0', 'display:0', 'inputs:0', 'cursor:0', 'playback:0', 'record:0', 'usbredir:0', 'usbredir:1', 'webdav:0']),
    );
    for (const c of report.channels) expect(`${c.type}:${c.id} ${c.status} ${c.detail ?? ''}`).toMatch(/ linked/);
    // Both usbredir slots said hello (QEMU's usb-redir offers all eight caps) and sent their filter,
    // re-serialised with ',' between fields.
    expect(report.usbSlots.map((s) => s.id)).toEqual([0, 1]);
    for (const s of report.usbSlots) {
      expect(s.guest).toMatch(/^qemu usb-redir guest/);
      expect(s.caps).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(s.filter).toBe('0x03,-1,-1,-1,0|-1,-1,-1,-1,1');
      expect(s.device).toBe('free');
    }
    const text = await runCli(['info', `spice://127.0.0.1:${qemu.port}`, '--timeout', '20']);
    expect(text.stdout).toMatch(/usb slots: +usbredir:0 free; qemu usb-redir guest .* caps \[0,1,2,3,4,5,6,7\]; filter "0x03,-1,-1,-1,0\|-1,-1,-1,-1,1"/);
    // QEMU sends its UUID (all zeros without -uuid) because spicedesk announces NAME_AND_UUID.
    expect(report.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    // QEMU plays Opus by default (playback-compression=on) to a client that decodes it, and takes
    // Opus on record; the command line has no Opus encoder, so it would record in RAW, and it
    // announces VOLUME both ways (do listen and do speak apply the guest's volumes, as QEMU leaves to it).
    expect(report.audio).toEqual({
      playback: { client: ['VOLUME', 'OPUS'], server: ['VOLUME', 'OPUS'], mode: 'OPUS' },
      record: { client: ['VOLUME'], server: ['VOLUME', 'OPUS'], mode: 'RAW' },
    });
  });

  it("honours the guest's USB filter (everything but HID): the keyboard is refused with its sentence, the disk is offered and taken back", async () => {
    const session = new Session({
      connector: () => openSocket({ host: '127.0.0.1', port: qemu.port }, 5000),
      crypto: nodeTicketCrypto,
      logger: silentLogger,
      displaySink: new LocalDisplaySink({ logger: silentLogger }),
      where: `127.0.0.1:${qemu.port}`,
      shouldLink: (c) => c.type === ChannelType.USBREDIR,
    });
    const slots: UsbredirChannel[] = [];
    session.events.on('channel-linked', (ch) => {
      if (ch instanceof UsbredirChannel) slots.push(ch);
    });
    const backing = join(dir, 'filter-disk.img');
    writeFileSync(backing, new Uint8Array(1024 * 1024));
    const disk = new SimulatedDisk({ path: backing });
    try {
      await session.connect();
      await waitUntil('a usbredir slot with the guest filter', () => slots.some((s) => s.guestFilter !== null), 20_000);
      const slot = slots.find((s) => s.guestFilter !== null)!;
      const source = new SimulatedUsbSource();
      source.plug(new SimulatedKeyboard());
      source.plug(disk);
      const refused = UsbredirHost.attach(slot, await source.open('sim:keyboard'), { logger: silentLogger });
      await expect(refused).rejects.toThrow(UsbAttachError);
      await expect(refused).rejects.toThrow("the guest's USB filter (0x03,-1,-1,-1,0|-1,-1,-1,-1,1) does not let spicedesk spicedesk simulated keyboard (1209:0001) in: blocked by a rule");
      const host = await UsbredirHost.attach(slot, await source.open('sim:disk'), { logger: silentLogger });
      expect(host.state).toBe('connected');
      await host.detach();
      // QEMU acknowledged the disconnect (cap device_disconnect_ack) and did not reject the disk.
      expect(host.handled.get('device_disconnect_ack')).toBe(1);
      expect(host.handled.get('filter_reject')).toBeUndefined();
      expect(slot.device).toBeNull();
    } finally {
      await session.close();
      disk.close();
    }
  }, 60_000);

  it('capture shows the firmware screen as spice-gtk does, but for the blinking cursor', async () => {
    // The VGA text cursor blinks, so two clients never agree on every pixel: all differences must
    // fall inside one character cell (9x16). SeaBIOS also pauses between boot attempts, so a
    // screen that looks still can move on: a capture only counts when spice-gtk saw the same
    // screen (but for the cursor) just before and just after it.
    const out = join(dir, 'firmware.png');
    let checked = false;
    for (let attempt = 0; attempt < 10 && !checked; attempt++) {
      const before = await waitForStableScreen(qemu.port, { timeoutMs: 30_000 });
      const r = await runCli(['capture', `spice://127.0.0.1:${qemu.port}`, '-o', out, '--timeout', '30']);
      expect(r.code, r.stderr).toBe(0);
      const after = await spicyScreenshot(qemu.port);
      if (!withinOneCell(differenceBox(before, after))) continue;
      const image = readPng(out);
      expect([image.width, image.height]).toEqual([after.width, after.height]);
      expect(isUniform(image)).toBe(false);
      const box = differenceBox(after, image);
      if (!withinOneCell(box)) explainMismatch('qemu-firmware', after, image);
      expect(box ? [box.right - box.left, box.bottom - box.top] : [0, 0]).toSatisfy(([w, h]: number[]) => w <= 9 && h <= 16);
      checked = true;
    }
    expect(checked, 'the firmware screen never held still for a capture').toBe(true);
  }, 120_000);
});

function withinOneCell(box: ReturnType<typeof differenceBox>): boolean {
  return !box || (box.right - box.left <= 9 && box.bottom - box.top <= 16);
}

/** The bounding box of the pixels whose RGB differs, or null when none does. */
function differenceBox(a: RgbaImage, b: RgbaImage): { left: number; top: number; right: number; bottom: number } | null {
  let box: { left: number; top: number; right: number; bottom: number } | null = null;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const i = (y * a.width + x) * 4;
      if (a.rgba[i] === b.rgba[i] && a.rgba[i + 1] === b.rgba[i + 1] && a.rgba[i + 2] === b.rgba[i + 2]) continue;
      if (!box) box = { left: x, top: y, right: x + 1, bottom: y + 1 };
      box = { left: Math.min(box.left, x), top: Math.min(box.top, y), right: Math.max(box.right, x + 1), bottom: Math.max(box.bottom, y + 1) };
    }
  }
  return box;
}
