// spice-gtk as the oracle for the shared CD: one guest, the same ISO file shared first by
// spicedesk (`do --spice-share-cd`) and then by spicy (`--spice-share-cd`, in an Xvfb). The guest
// must see the same CD from both: block size, read-only, removable, block size and SCSI type in
// sysfs, the mounted listing with sizes, every file's md5, and the md5 of all of /dev/sr0 (which
// is also the file's). Only the INQUIRY strings differ (each client names its own CD).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGuest, type Guest } from '../peers/guest.ts';
import { isoImage } from '../peers/iso9660.ts';
import { guestCdView, shareCd, waitForGuestCd, waitForGuestCdGone, type GuestCdView } from '../peers/shared-cd.ts';

describe('the shared CD: spicedesk and spicy give the guest the same CD', () => {
  let guest: Guest;
  const work = mkdtempSync(join(tmpdir(), 'spicedesk-cd-oracle-'));
  const iso = join(work, 'oracle.iso');

  beforeAll(async () => {
    const noise = Uint8Array.from({ length: 700 * 1024 + 123 }, (_, i) => (Math.imul(i + 3, 2654435761) >>> 9) & 0xff);
    const text = new TextEncoder().encode('the oracle CD\n'.repeat(5000));
    writeFileSync(iso, isoImage('ORACLE', [{ name: 'NOISE.BIN', data: noise }, { name: 'README.TXT', data: text }, { name: 'EMPTY.TXT', data: new Uint8Array(0) }]));
    guest = await startGuest({ devices: ['usb'] });
  }, 180_000);

  afterAll(async () => {
    await guest?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('sysfs, the mounted listing, the files\' md5s and the whole device\'s md5 are equal', async () => {
    const views: Record<string, GuestCdView> = {};
    for (const client of ['spicedesk', 'spicy'] as const) {
      const sharer = shareCd(client, guest.port, iso);
      try {
        await waitForGuestCd(guest, sharer);
        views[client] = await guestCdView(guest);
      } finally {
        await sharer.stop();
      }
      await waitForGuestCdGone(guest);
    }
    const ours = views.spicedesk;
    const theirs = views.spicy;
    const fileMd5 = createHash('md5').update(readFileSync(iso)).digest('hex');
    expect(ours.deviceMd5).toBe(fileMd5);
    expect(theirs.deviceMd5).toBe(fileMd5);
    expect(ours.block).toBe(theirs.block);
    expect(ours.block).toMatch(/ ro=1 removable=1 lbs=2048 type=5$/);
    expect(ours.listing).toEqual(theirs.listing);
    expect(ours.listing).toContain(`./noise.bin ${700 * 1024 + 123}`);
    expect(ours.md5s).toEqual(theirs.md5s);
    expect(ours.md5s).toHaveLength(3);
    // Each client names its own CD in INQUIRY.
    expect(ours.inquiry).not.toBe(theirs.inquiry);
    console.log(`guest view: ${JSON.stringify(views)}`);
  }, 300_000);
});
