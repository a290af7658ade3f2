// A usbredir slot added to a running QEMU (QMP chardev-add of a spicevmc "usbredir" chardev, then
// device_add usb-redir on it): spice-server registers the new channel and tells the connected
// client with a CHANNELS_LIST that names only the new channel (measured here: the first list names
// every channel, the later one just USBREDIR 2). The session links it like any other, the new
// slot says hello, and the shared CD attached to it reaches the guest: sr0, mount, md5 of a file.
// A node-hid device (a fake of node-hid's API behind HidDeviceSource) goes through slot 0 into the
// guest's hidraw both ways. device_del then takes the hot slot away: its channel closes and the
// session keeps running.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsbredirChannel } from '../../src/protocol/channels/usbredir/usbredir-channel.ts';
import type { ChannelId } from '../../src/protocol/channels/main/main-channel.ts';
import { LocalDisplaySink } from '../../src/protocol/display/local-display-sink.ts';
import { ChannelType } from '../../src/protocol/link/constants.ts';
import { silentLogger } from '../../src/protocol/logger.ts';
import { Session } from '../../src/protocol/session/session.ts';
import { nodeTicketCrypto } from '../../src/main/node/ticket-crypto.ts';
import { openSocket } from '../../src/main/transport/socket-transport.ts';
import { EmulatedUsbSource } from '../../src/main/usb/emulated-device.ts';
import { IsoCdrom } from '../../src/main/usb/iso-cdrom.ts';
import { UsbredirHost } from '../../src/main/usb/usbredir-host.ts';
import { HidDeviceSource } from '../../src/main/usb/hid-device-source.ts';
import { fakeNodeHid, RAW_HID_REPORT_DESCRIPTOR } from '../helpers/fake-node-hid.ts';
import { waitFor, waitUntil } from '../helpers/wait.ts';
import { startGuest, type Guest } from '../peers/guest.ts';
import { isoImage } from '../peers/iso9660.ts';

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

describe('a usbredir slot hot-added to a running QEMU', () => {
  let guest: Guest;
  let session: Session;
  const slots: UsbredirChannel[] = [];
  const lists: ChannelId[][] = [];
  const work = mkdtempSync(join(tmpdir(), 'spicedesk-usb-hotplug-'));

  beforeAll(async () => {
    guest = await startGuest({ devices: ['usb'], qmp: true });
    session = new Session({
      connector: () => openSocket({ host: '127.0.0.1', port: guest.port }, 5000),
      crypto: nodeTicketCrypto,
      logger: silentLogger,
      displaySink: new LocalDisplaySink({ logger: silentLogger }),
      where: `127.0.0.1:${guest.port}`,
      shouldLink: (c) => c.type === ChannelType.USBREDIR,
    });
    session.main.events.on('channels', (list) => lists.push(list));
    session.events.on('channel-linked', (ch) => {
      if (ch instanceof UsbredirChannel) slots.push(ch);
    });
    await session.connect();
    await waitUntil('both usbredir slots to say hello', () => slots.length === 2 && slots.every((s) => s.helloDone), 30_000);
  }, 180_000);

  afterAll(async () => {
    await session?.close();
    await guest?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('links the new slot from the server\'s second CHANNELS_LIST and shares the CD through it', async () => {
    const firstLists = lists.length;
    expect(firstLists).toBe(1);
    expect(lists[0].filter((c) => c.type === ChannelType.USBREDIR).map((c) => c.id).sort()).toEqual([0, 1]);
    await guest.qemu.qmp('chardev-add', { id: 'hotredir', backend: { type: 'spicevmc', data: { type: 'usbredir' } } });
    await guest.qemu.qmp('device_add', { driver: 'usb-redir', chardev: 'hotredir', id: 'hotredir-dev' });
    await waitUntil('a third usbredir slot to say hello', () => slots.length === 3 && slots[2].helloDone, 30_000,
      { explain: () => `lists: ${JSON.stringify(lists)}` });
    // What spice-server sent for the new channel: one more CHANNELS_LIST naming only it.
    expect(lists.length).toBe(2);
    expect(lists[1]).toEqual([{ type: ChannelType.USBREDIR, id: 2 }]);
    const hot = slots[2];
    expect(hot.id).toBe(2);

    const noise = Uint8Array.from({ length: 200 * 1024 }, (_, i) => (Math.imul(i + 7, 2654435761) >>> 11) & 0xff);
    const path = join(work, 'hot.iso');
    writeFileSync(path, isoImage('HOTSLOT', [{ name: 'NOISE.BIN', data: noise }]));
    const cdSource = new EmulatedUsbSource();
    const cd = new IsoCdrom(path, silentLogger);
    cdSource.plug(cd);
    const host = await UsbredirHost.attach(hot, await cdSource.open(cd.description.id), { logger: silentLogger });
    try {
      await waitUntil('the guest\'s sr0 on the hot-added slot', async () => (await guest.run('[ -b /dev/sr0 ] && cat /sys/block/sr0/size; true')).output.trim() !== '',
        60_000, { pollMs: 300, explain: () => `serial log:\n${guest.serialLog().slice(-3000)}` });
      const mounted = await guest.run('mkdir -p /mnt/cd && mount -t iso9660 -o ro /dev/sr0 /mnt/cd && md5sum /mnt/cd/noise.bin && umount /mnt/cd', { timeoutMs: 30_000 });
      expect(mounted.status, mounted.output).toBe(0);
      expect(mounted.output.trim().split(' ')[0]).toBe(md5(noise));
    } finally {
      await host.detach();
      cdSource.unplug(cd.description.id);
    }
    // The two slots from the command line are untouched.
    expect(slots.slice(0, 2).every((s) => s.state !== 'closed')).toBe(true);
  }, 150_000);

  it('a node-hid device (a fake of node-hid\'s API) reaches the guest as a USB HID device: hidraw gets its input report, its write reaches hidapi', async () => {
    const hid = fakeNodeHid();
    const source = new HidDeviceSource(hid, () => RAW_HID_REPORT_DESCRIPTOR);
    const slot = slots[0];
    const host = await UsbredirHost.attach(slot, await source.open('hid:/dev/hidraw7'), { logger: silentLogger });
    try {
      const hidraw = await waitFor('the guest\'s hidraw node for 16c0:0486', async () => {
        const { output } = await guest.run('grep -l 000016C0:00000486 /sys/class/hidraw/*/device/uevent 2>/dev/null; true');
        return /\/sys\/class\/hidraw\/(hidraw\d+)\//.exec(output)?.[1];
      }, 60_000, { pollMs: 300, explain: () => `serial log:\n${guest.serialLog().slice(-2000)}` });
      await waitUntil(`/dev/${hidraw}`, async () => (await guest.run(`[ -c /dev/${hidraw} ] && echo ok; true`)).output.trim() === 'ok', 20_000, { pollMs: 200 });
      const reader = await guest.spawn(`dd if=/dev/${hidraw} of=/tmp/report bs=8 count=1 2>/dev/null`);
      await waitUntil('dd to open the hidraw node', async () => Number((await guest.run(`ls -l /proc/[0-9]*/fd/ 2>/dev/null | grep -c ${hidraw}; true`)).output.trim()) > 0, 20_000, { pollMs: 200 });
      hid.opened.at(-1)!.emit('data', Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]));
      expect((await reader.wait()).status).toBe(0);
      expect([...await guest.readFile('/tmp/report')]).toEqual([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
      // hidraw's write: report number 0, then the report; it reaches hidapi with the 0 byte first.
      const wrote = await guest.run(`printf '\\000\\021\\042\\063\\104\\125\\146\\167\\210' > /dev/${hidraw}`);
      expect(wrote.status, wrote.output).toBe(0);
      const writes = hid.opened.at(-1)!.writes;
      await waitUntil('the output report to reach hidapi', () => writes.length > 0, 10_000);
      expect(writes[0]).toEqual([0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    } finally {
      await host.detach();
    }
  }, 120_000);

  it('device_del of the hot-added slot closes its channel; the session keeps running', async () => {
    const hot = slots[2];
    await guest.qemu.qmp('device_del', { id: 'hotredir-dev' });
    await waitUntil('the hot-added slot\'s channel to close', () => hot.state === 'closed', 30_000,
      { explain: () => `state ${hot.state}` });
    expect(slots.slice(0, 2).every((s) => s.state !== 'closed')).toBe(true);
  }, 60_000);
});
