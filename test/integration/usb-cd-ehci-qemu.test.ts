// The shared CD is a SuperSpeed device (1 MiB per SCSI READ on xHCI); a VM whose usb-redir slots
// sit on a USB 2 controller (usb-ehci, as older VMs have) must still take it: QEMU lets a
// SuperSpeed usbredir device attach at high speed there, and the CD answers as a USB 3 device on
// a USB 2 port does once the guest's 64-byte descriptor read shows the port (mass-storage.ts). One
// guest with EHCI (and its driver) instead of xHCI: `do --spice-share-cd` puts the CD in, the
// guest enumerates it at the first attempt at 480 Mb/s, mounts it and reads the image's file.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.ts';
import { waitUntil } from '../helpers/wait.ts';
import { startGuest, type Guest } from '../peers/guest.ts';
import { isoImage } from '../peers/iso9660.ts';

describe('the shared CD on a USB 2 (EHCI) controller', () => {
  let guest: Guest;
  const work = mkdtempSync(join(tmpdir(), 'spicedesk-ehci-'));
  const text = new TextEncoder().encode('on a USB 2 port\n'.repeat(4000));
  const iso = join(work, 'cd.iso');

  beforeAll(async () => {
    writeFileSync(iso, isoImage('EHCI', [{ name: 'FILE.TXT', data: text }]));
    guest = await startGuest({ devices: ['usb'], usbController: 'ehci', modules: ['ehci-pci'] });
  }, 180_000);

  afterAll(async () => {
    await guest?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('attaches at high speed and reads the image\'s bytes', async () => {
    const cli = startCli(['do', `spice://127.0.0.1:${guest.port}`, '--spice-share-cd', iso, '--timeout', '60', 'wait', '300'], { killAfterMs: 200_000 });
    try {
      await waitUntil('the guest\'s sr0', async () => (await guest.run('[ -b /dev/sr0 ] && echo ok; true')).output.trim() === 'ok', 90_000,
        { pollMs: 300, explain: () => `${cli.stderrSoFar()}\n${guest.serialLog().slice(-2000)}` });
      const speed = await guest.run('for d in /sys/bus/usb/devices/*; do [ "$(cat $d/idVendor 2>/dev/null):$(cat $d/idProduct 2>/dev/null)" = 1209:0003 ] && cat $d/speed; done; true');
      expect(speed.output.trim()).toBe('480');
      // Enumerated at the first attempt, with descriptors valid at high speed (ep0 64, bulk 512).
      const complaints = await guest.run('dmesg | grep -E "Invalid ep0|invalid maxpacket|unable to enumerate"; true');
      expect(complaints.output.trim()).toBe('');
      const r = await guest.run('mkdir -p /mnt/cd && mount -t iso9660 -o ro /dev/sr0 /mnt/cd && md5sum /mnt/cd/file.txt; umount /mnt/cd', { timeoutMs: 60_000 });
      expect(r.output.trim().split(/\s+/)[0], r.output).toBe(createHash('md5').update(text).digest('hex'));
    } finally {
      cli.terminate();
    }
    await cli.done;
  }, 240_000);
});
