// Several shared CDs at once against a real Linux guest (QEMU TCG, two usb-redir slots, one boot
// for the file): `do --spice-share-cd A --spice-share-cd B` puts each image on its own slot, and
// `--spice-share-cd A usb-attach cd:B` does the same through the action; the guest has two
// CD-ROM drives (sr0, sr1), each with its own USB serial, and mounts both and reads each image's
// file with the image's bytes.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.ts';
import { waitUntil } from '../helpers/wait.ts';
import { startGuest, type Guest } from '../peers/guest.ts';
import { isoImage } from '../peers/iso9660.ts';

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

describe('two shared CDs at once in a Linux guest', () => {
  let guest: Guest;
  let uri: string;
  const work = mkdtempSync(join(tmpdir(), 'spicedesk-twocds-'));
  const contents = { a: new TextEncoder().encode('the first CD\n'.repeat(2000)), b: new TextEncoder().encode('the second one\n'.repeat(3000)) };
  const isoA = join(work, 'a.iso');
  const isoB = join(work, 'b.iso');

  beforeAll(async () => {
    writeFileSync(isoA, isoImage('CDA', [{ name: 'FILE.TXT', data: contents.a }]));
    writeFileSync(isoB, isoImage('CDB', [{ name: 'FILE.TXT', data: contents.b }]));
    guest = await startGuest({ devices: ['usb'] });
    uri = `spice://127.0.0.1:${guest.port}`;
  }, 180_000);

  afterAll(async () => {
    await guest?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** The md5 of FILE.TXT on each of the guest's two CD drives, and the shared CDs' USB serials. */
  async function guestDrives(): Promise<{ md5s: string[]; serials: string[] }> {
    await waitUntil('the guest\'s sr0 and sr1', async () => (await guest.run('[ -b /dev/sr0 ] && [ -b /dev/sr1 ] && echo both; true')).output.trim() === 'both',
      90_000, { pollMs: 300, explain: () => guest.serialLog().slice(-1500) });
    const md5s: string[] = [];
    for (const drive of ['sr0', 'sr1']) {
      const r = await guest.run(`mkdir -p /mnt/${drive} && mount -t iso9660 -o ro /dev/${drive} /mnt/${drive} && md5sum /mnt/${drive}/file.txt; umount /mnt/${drive}`, { timeoutMs: 60_000 });
      expect(r.status, r.output).toBe(0);
      md5s.push(r.output.trim().split(/\s+/)[0]);
    }
    const serials = await guest.run('for d in /sys/bus/usb/devices/*; do [ "$(cat $d/idVendor 2>/dev/null):$(cat $d/idProduct 2>/dev/null)" = 1209:0003 ] && cat $d/serial; done; true');
    return { md5s: md5s.sort(), serials: serials.output.trim().split('\n').map((l) => l.trim()).filter(Boolean) };
  }

  async function noCds(): Promise<void> {
    await waitUntil('both CDs to leave the guest', async () => (await guest.run('ls /sys/block | grep -c ^sr; true')).output.trim() === '0', 30_000, { pollMs: 300 });
  }

  it('--spice-share-cd twice: each CD on its own slot, two drives in the guest with the images\' bytes', async () => {
    const cli = startCli(['do', uri, '--spice-share-cd', isoA, '--spice-share-cd', isoB, '--timeout', '60', 'wait', '300'], { killAfterMs: 240_000 });
    try {
      const { md5s, serials } = await guestDrives();
      expect(md5s).toEqual([md5(contents.a), md5(contents.b)].sort());
      expect(serials).toHaveLength(2);
      expect(new Set(serials).size).toBe(2);
      // No refusal on the way (this machine's "no USB on this machine" notice is not one).
      expect(cli.stderrSoFar().split('\n').filter((l) => l.startsWith('usb: ') && !l.startsWith('usb: no USB on this machine'))).toEqual([]);
    } finally {
      cli.terminate();
    }
    await cli.done;
    await noCds();
  }, 240_000);

  it('--spice-share-cd A and usb-attach cd:B in one script: both in the guest', async () => {
    const cli = startCli(['do', uri, '--spice-share-cd', isoA, '--timeout', '60', 'usb-attach', `cd:${isoB}`, 'wait', '300'], { killAfterMs: 240_000 });
    try {
      await waitUntil('usb-attach to say the second CD is in', () => /usb-attach: spicedesk shared CD b\.iso \(1209:0003\) is in the VM on usbredir/.test(cli.stderrSoFar()) || cli.exited(), 120_000, { pollMs: 200 });
      const { md5s } = await guestDrives();
      expect(md5s).toEqual([md5(contents.a), md5(contents.b)].sort());
    } finally {
      cli.terminate();
    }
    await cli.done;
    await noCds();
  }, 240_000);
});
