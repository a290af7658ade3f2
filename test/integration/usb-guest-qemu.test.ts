// USB redirection into a real Linux guest (QEMU TCG, qemu-xhci, two usb-redir slots on spicevmc
// chardevs): spicedesk links both usbredir channels, says hello as the usb-host, and attaches the
// test-only simulated HID keyboard (test/peers/usb-simulated.ts) through its usb-host
// (src/main/usb/usbredir-host.ts). The guest's kernel enumerates it (sysfs ids and product
// string), binds usbhid, and a key press reaches /dev/input/eventN; detach makes it go. Then the
// simulated disk (a file here) on the other slot: usb-storage makes it /dev/sda, the guest writes
// and reads it back, the file has the guest's bytes, and its bulk transfers over 1000 bytes go
// LZ4-compressed both ways. Last the shared CD (src/main/usb/iso-cdrom.ts) with an ISO 9660 image
// written by the test: sr_mod makes it /dev/sr0, the guest mounts it and reads a file whose bytes
// equal the image's.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsbredirChannel } from '../../src/protocol/channels/usbredir/usbredir-channel.ts';
import { LocalDisplaySink } from '../../src/protocol/display/local-display-sink.ts';
import { ChannelType } from '../../src/protocol/link/constants.ts';
import { silentLogger } from '../../src/protocol/logger.ts';
import { Session } from '../../src/protocol/session/session.ts';
import { nodeTicketCrypto } from '../../src/main/node/ticket-crypto.ts';
import { openSocket } from '../../src/main/transport/socket-transport.ts';
import { EmulatedUsbSource } from '../../src/main/usb/emulated-device.ts';
import { IsoCdrom } from '../../src/main/usb/iso-cdrom.ts';
import { UsbredirHost } from '../../src/main/usb/usbredir-host.ts';
import { relinkUsbSlot } from '../../src/main/monitors/relink.ts';
import { recordingLogger } from '../helpers/logger.ts';
import { waitFor, waitUntil } from '../helpers/wait.ts';
import { startGuest, type Guest } from '../peers/guest.ts';
import { isoImage } from '../peers/iso9660.ts';
import { SimulatedDisk, SimulatedKeyboard, SimulatedUsbSource } from '../peers/usb-simulated.ts';

/** `vid:pid:product` of every USB device the guest's kernel sees (root hubs included). */
async function guestUsbDevices(guest: Guest): Promise<string[]> {
  const { output } = await guest.run('for d in /sys/bus/usb/devices/*; do [ -f $d/idVendor ] && echo "$(cat $d/idVendor):$(cat $d/idProduct):$(cat $d/product 2>/dev/null)"; done; true');
  return output.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** struct input_event on x86-64: struct timeval (16 bytes), u16 type, u16 code, s32 value. */
function inputEvents(bytes: Uint8Array): { type: number; code: number; value: number }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const events = [];
  for (let at = 0; at + 24 <= bytes.byteLength; at += 24) events.push({ type: view.getUint16(at + 16, true), code: view.getUint16(at + 18, true), value: view.getInt32(at + 20, true) });
  return events;
}

const EV_KEY = 1;
const KEY_A = 30;
const HID_USAGE_A = 0x04;

describe('USB redirection into a Linux guest (simulated HID keyboard)', () => {
  let guest: Guest;
  let session: Session;
  const slots: UsbredirChannel[] = [];
  const source = new SimulatedUsbSource();
  const keyboard = new SimulatedKeyboard();

  beforeAll(async () => {
    guest = await startGuest({ devices: ['usb'] });
    session = new Session({
      connector: () => openSocket({ host: '127.0.0.1', port: guest.port }, 5000),
      crypto: nodeTicketCrypto,
      logger: silentLogger,
      displaySink: new LocalDisplaySink({ logger: silentLogger }),
      where: `127.0.0.1:${guest.port}`,
      shouldLink: (c) => c.type === ChannelType.USBREDIR,
    });
    session.events.on('channel-linked', (ch) => {
      if (ch instanceof UsbredirChannel) slots.push(ch);
    });
    await session.connect();
    await waitUntil('both usbredir slots to say hello', () => slots.length === 2 && slots.every((s) => s.helloDone), 30_000);
    source.plug(keyboard);
  }, 180_000);

  const work = mkdtempSync(join(tmpdir(), 'spicedesk-usb-'));

  afterAll(async () => {
    await session?.close();
    await guest?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('links one usbredir channel per slot and reads QEMU\'s hello (all eight caps)', () => {
    expect(slots.map((s) => s.id).sort()).toEqual([0, 1]);
    for (const s of slots) expect(s.stream.peerVersion).toMatch(/^qemu usb-redir guest/);
    expect(slots[0].stream.peerCaps).toBe(0xff);
    expect(slots[0].guestFilter).toBeNull(); // no filter= on these usb-redir devices
  });

  it('attaches the keyboard: the guest enumerates it and a key press reaches its evdev device; detach makes it go', async () => {
    const before = await guestUsbDevices(guest);
    expect(before.some((l) => l.startsWith('1209:0001'))).toBe(false);
    const slot = slots[0];
    const host = await UsbredirHost.attach(slot, await source.open(keyboard.description.id), { logger: silentLogger });
    expect(slot.device).toBe(host);

    const seen = await waitFor('the guest to enumerate the keyboard', async () => {
      const devices = await guestUsbDevices(guest);
      return devices.find((l) => l.startsWith('1209:0001:'));
    }, 60_000, { pollMs: 300, explain: () => `serial log:\n${guest.serialLog().slice(-3000)}\nrequests: ${keyboard.requests.join(' ')}` });
    expect(seen).toBe('1209:0001:spicedesk simulated keyboard');

    // usbhid binds and evdev makes an event device named "<manufacturer> <product>".
    const eventDevice = await waitFor('the keyboard\'s event device', async () => {
      const { output } = await guest.run('for e in /sys/class/input/event*; do echo "$(basename $e) $(cat $e/device/name)"; done; true');
      return output.split('\n').find((l) => l.includes('spicedesk simulated keyboard'))?.split(' ')[0];
    }, 30_000, { pollMs: 300 });
    // The guest set the boot keyboard up as Linux does: SET_IDLE, the report descriptor.
    expect(keyboard.requests).toContain('21/0a/0000');
    expect(keyboard.requests.some((r) => r.startsWith('81/06/22'))).toBe(true);
    expect(host.handled.get('start_interrupt_receiving')).toBe(1);

    // Six events of 24 bytes: EV_MSC scan, EV_KEY A down, SYN, then the same for the release.
    const reader = await guest.spawn(`dd if=/dev/input/${eventDevice} of=/tmp/keys bs=24 count=6 2>/dev/null`);
    await waitUntil('dd to open the event device', async () => {
      const { output } = await guest.run(`ls -l /proc/[0-9]*/fd/ 2>/dev/null | grep -c ${eventDevice}; true`);
      return Number(output.trim()) > 0;
    }, 20_000, { pollMs: 200 });
    keyboard.press(HID_USAGE_A);
    expect((await reader.wait()).status).toBe(0);
    const events = inputEvents(await guest.readFile('/tmp/keys'));
    const keys = events.filter((e) => e.type === EV_KEY);
    expect(keys).toEqual([{ type: EV_KEY, code: KEY_A, value: 1 }, { type: EV_KEY, code: KEY_A, value: 0 }]);

    await host.detach();
    expect(host.state).toBe('gone');
    expect(slot.device).toBeNull();
    await waitUntil('the keyboard to leave the guest', async () => !(await guestUsbDevices(guest)).some((l) => l.startsWith('1209:0001')), 30_000, { pollMs: 300 });
    expect(host.handled.get('device_disconnect_ack')).toBe(1);
  }, 150_000);

  it('attaches a file-backed disk on the second slot: the guest writes and reads it, the file has the bytes, bulk goes LZ4 both ways', async () => {
    const MiB = 1024 * 1024;
    const backing = join(work, 'disk.img');
    // A text the guest will find at 1 MiB: compressible, so the host's READ(10) data goes as LZ4.
    const image = new Uint8Array(8 * MiB);
    const marker = new TextEncoder().encode('spicedesk host-written block\n'.repeat(2300)).subarray(0, 64 * 1024);
    image.set(marker, MiB);
    writeFileSync(backing, image);
    const disk = new SimulatedDisk({ path: backing });
    source.plug(disk);
    const slot = slots[1];
    const before = { ...slot.counts };
    const host = await UsbredirHost.attach(slot, await source.open(disk.description.id), { logger: silentLogger });
    try {
      const size = await waitFor('the guest\'s sda', async () => {
        const { output } = await guest.run('cat /sys/block/sda/size 2>/dev/null; true');
        return output.trim() ? Number(output.trim()) : undefined;
      }, 60_000, { pollMs: 300, explain: () => `serial log:\n${guest.serialLog().slice(-3000)}\nSCSI: ${disk.commands.join(' ')}` });
      expect(size).toBe((8 * MiB) / 512);
      expect(await guestUsbDevices(guest)).toContain('1209:0002:spicedesk simulated disk');

      // Host to guest: the marker, read with the page cache bypassed.
      const read = await guest.run(`dd if=/dev/sda bs=65536 skip=16 count=1 iflag=direct 2>/dev/null | md5sum`);
      const { createHash } = await import('node:crypto');
      expect(read.output.split(' ')[0]).toBe(createHash('md5').update(marker).digest('hex'));

      // Guest to host: 256 KiB of random bytes and 256 KiB of text at 2 MiB, written through.
      const wrote = await guest.run([
        'dd if=/dev/urandom of=/tmp/random bs=65536 count=4 2>/dev/null',
        'yes "guest-written line of the usb test" | head -c 262144 > /tmp/text',
        'cat /tmp/random /tmp/text | dd of=/dev/sda bs=65536 seek=32 oflag=direct conv=fsync 2>/dev/null',
        'cat /tmp/random /tmp/text | md5sum',
        'dd if=/dev/sda bs=65536 skip=32 count=8 iflag=direct 2>/dev/null | md5sum',
      ].join(' && '), { timeoutMs: 25_000 });
      expect(wrote.status, wrote.output).toBe(0);
      const [written, readBack] = wrote.output.trim().split('\n').map((l) => l.split(' ')[0]);
      expect(readBack).toBe(written);
      const file = readFileSync(backing).subarray(2 * MiB, 2 * MiB + 512 * 1024);
      expect(createHash('md5').update(file).digest('hex')).toBe(written);
      const guestRandom = await guest.readFile('/tmp/random');
      expect(Buffer.compare(file.subarray(0, 256 * 1024), guestRandom)).toBe(0);
      expect(disk.bytesWritten).toBeGreaterThanOrEqual(512 * 1024);
      expect(disk.commands).toEqual(expect.arrayContaining(['12', '25', '28', '2a']));
      // LZ4 both ways: the server compressed the guest's text writes, spicedesk the marker it read.
      expect(slot.counts.compressedIn - before.compressedIn).toBeGreaterThan(0);
      expect(slot.counts.compressedOut - before.compressedOut).toBeGreaterThan(0);
    } finally {
      await host.detach();
      disk.close();
    }
    await waitUntil('the disk to leave the guest', async () => !(await guestUsbDevices(guest)).some((l) => l.startsWith('1209:0002')), 30_000, { pollMs: 300 });
  }, 150_000);

  it('shares an ISO file as a USB CD-ROM: the guest mounts /dev/sr0 and reads a file with the image\'s bytes', async () => {
    const { createHash } = await import('node:crypto');
    const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');
    // 300 KiB of noise (no compression helps) and a text file (LZ4 does).
    const noise = Uint8Array.from({ length: 300 * 1024 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 13) & 0xff);
    const text = new TextEncoder().encode('spicedesk shared CD line\n'.repeat(4000));
    const path = join(work, 'shared.iso');
    writeFileSync(path, isoImage('SPICEDESK', [{ name: 'NOISE.BIN', data: noise }, { name: 'README.TXT', data: text }]));
    const cdSource = new EmulatedUsbSource();
    const cd = new IsoCdrom(path, silentLogger);
    cdSource.plug(cd);
    const slot = slots.find((s) => s.device === null)!;
    const host = await UsbredirHost.attach(slot, await cdSource.open(cd.description.id), { logger: silentLogger });
    try {
      await waitUntil('the guest\'s sr0', async () => (await guest.run('[ -b /dev/sr0 ] && cat /sys/block/sr0/size; true')).output.trim() !== '',
        60_000, { pollMs: 300, explain: () => `serial log:\n${guest.serialLog().slice(-3000)}\nSCSI: ${cd.commands.join(' ')}` });
      expect(await guestUsbDevices(guest)).toContain(`1209:0003:${cd.description.product}`);
      const mounted = await guest.run('mkdir -p /mnt/cd && mount -t iso9660 -o ro /dev/sr0 /mnt/cd && ls -1 /mnt/cd && md5sum /mnt/cd/noise.bin /mnt/cd/readme.txt', { timeoutMs: 30_000 });
      expect(mounted.status, `${mounted.output}\n${guest.serialLog().slice(-2000)}`).toBe(0);
      const lines = mounted.output.trim().split('\n');
      expect(lines.slice(0, 2)).toEqual(['noise.bin', 'readme.txt']);
      expect(lines[2].split(' ')[0]).toBe(md5(noise));
      expect(lines[3].split(' ')[0]).toBe(md5(text));
      // What the sr driver asked: no opcode it needs was refused.
      expect(cd.commands).toEqual(expect.arrayContaining(['12', '25', '28']));
      expect([...cd.iso.unknownOpcodes].filter((op) => op === '28' || op === '25')).toEqual([]);
      const unmounted = await guest.run('umount /mnt/cd');
      expect(unmounted.status).toBe(0);
    } finally {
      await host.detach();
      cdSource.unplug(cd.description.id);
    }
    await waitUntil('the CD to leave the guest', async () => !(await guestUsbDevices(guest)).some((l) => l.startsWith('1209:0003')), 30_000, { pollMs: 300 });
  }, 150_000);

  it('a detach the server does not acknowledge resets the slot: closing its channel takes the device out of the guest, the slot comes back and takes it again', async () => {
    const slot = slots.find((s) => s.device === null && s.state !== 'closed')!;
    const relinkLines: string[] = [];
    const resetSlot = (channel: UsbredirChannel): Promise<boolean> => relinkUsbSlot(session, channel, recordingLogger(relinkLines));
    const host = await UsbredirHost.attach(slot, await source.open(keyboard.description.id), { logger: silentLogger, resetSlot, disconnectAckTimeoutMs: 2000 });
    await waitUntil('the keyboard in the guest', async () => (await guestUsbDevices(guest)).some((l) => l.startsWith('1209:0001')), 60_000, { pollMs: 300 });
    // A server that never acks: QEMU's ack is dropped before the usb-host sees it.
    const handle = host.packet.bind(host);
    host.packet = (p) => {
      if (p.type !== 'device_disconnect_ack') handle(p);
    };
    expect(await host.detach()).toBe('slot-reset');
    expect(host.slotBack).toBe(true);
    expect(slot.state).toBe('closed');
    await waitUntil('the keyboard to leave the guest', async () => !(await guestUsbDevices(guest)).some((l) => l.startsWith('1209:0001')), 30_000, { pollMs: 300 });
    // The slot again, on a new channel (the session's 'channel-linked' put it in `slots`): empty and usable.
    const again = await waitFor('the slot linked again, open and past its hello', () => slots.find((s) => s.id === slot.id && s !== slot && s.state !== 'closed' && s.helloDone), 30_000, {
      pollMs: 100,
      explain: () => `slots: ${slots.map((s) => `${s.id} ${s.state}${s.helloDone ? ' hello' : ''}`).join(', ')}; relink: ${relinkLines.join(' | ')}`,
    });
    const next = await UsbredirHost.attach(again, await source.open(keyboard.description.id), { logger: silentLogger });
    await waitUntil('the keyboard in the guest again', async () => (await guestUsbDevices(guest)).some((l) => l.startsWith('1209:0001')), 60_000, { pollMs: 300 });
    expect(await next.detach()).toBe('acknowledged');
    await waitUntil('the keyboard to leave the guest again', async () => !(await guestUsbDevices(guest)).some((l) => l.startsWith('1209:0001')), 30_000, { pollMs: 300 });
  }, 150_000);
});
