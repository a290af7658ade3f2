// `npm run bench -- --only usb`: bulk reads from the shared CD (a 64 MiB ISO offered as a USB
// CD-ROM) through spicedesk (`do --spice-share-cd`) against spice-gtk (`spicy --spice-share-cd`
// in Xvfb), one guest (QEMU TCG, qemu-xhci, usb-redir), the same run. In the guest:
// `dd if=/dev/sr0 of=/dev/null bs=1M iflag=direct` of the whole image (O_DIRECT: every read goes
// over usbredir, none from the guest's page cache), timed by the guest's /proc/uptime. On the
// host: the CPU (user + system, /proc) of the client's process tree during each dd, per MiB
// (spicy's tree without xvfb-run and Xvfb). Each client shares the CD once and the guest reads it
// `reads` times; the clients alternate, spicedesk first.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGuest } from '../peers/guest.ts';
import { isoImage } from '../peers/iso9660.ts';
import { shareCd, treeCpuMs, waitForGuestCd, waitForGuestCdGone, type CdClient } from '../peers/shared-cd.ts';
import { formatTable, median } from './measure.ts';

const ISO_MIB = 64;

export interface UsbReadSample {
  client: CdClient;
  mibPerS: number;
  cpuMsPerMib: number;
  seconds: number;
}

export interface UsbBenchResult {
  table: string;
  samples: UsbReadSample[];
  isoBytes: number;
  loadBefore: number;
  loadAfter: number;
  failure?: string;
}

export async function runUsbBench(options: { runs: number; root: string }): Promise<UsbBenchResult> {
  // Each read moves 64 MiB through a TCG guest: a few per client are enough for a median.
  const reads = Math.max(1, Math.min(options.runs, 3));
  const work = mkdtempSync(join(tmpdir(), 'spicedesk-usb-bench-'));
  const iso = join(work, 'bench.iso');
  // Noise (LZ4 cannot shrink it) filling the image to 64 MiB with its ISO 9660 structures.
  const data = new Uint8Array(ISO_MIB * 1024 * 1024 - 64 * 1024);
  for (let i = 0; i < data.length; i += 4) new DataView(data.buffer).setUint32(i, Math.imul(i + 1, 2654435761) ^ (i >>> 7), true);
  writeFileSync(iso, isoImage('BENCH', [{ name: 'NOISE.BIN', data }]));
  const isoBytes = readFileSync(iso).length;
  const isoMib = isoBytes / (1024 * 1024);
  const fileMd5 = createHash('md5').update(readFileSync(iso)).digest('hex');
  const samples: UsbReadSample[] = [];
  const failures: string[] = [];
  const loadBefore = loadavg()[0];
  const guest = await startGuest({ devices: ['usb'] });
  try {
    for (const client of ['spicedesk', 'spicy'] as const) {
      const sharer = shareCd(client, guest.port, iso, join(options.root, 'bin', 'spicedesk.cjs'));
      try {
        await waitForGuestCd(guest, sharer);
        const pid = sharer.clientPid();
        if (pid === undefined) throw new Error(`${client}: no client process found`);
        for (let r = 0; r < reads; r++) {
          const cpuBefore = treeCpuMs(pid);
          const out = await guest.run('a=$(cut -d" " -f1 /proc/uptime); dd if=/dev/sr0 of=/dev/null bs=1M iflag=direct 2>/tmp/dd.err; s=$?; b=$(cut -d" " -f1 /proc/uptime); echo "$s $a $b"; cat /tmp/dd.err', { timeoutMs: 600_000 });
          const cpuMs = treeCpuMs(pid) - cpuBefore;
          const [status, start, end] = out.output.trim().split('\n')[0].split(' ').map(Number);
          if (status !== 0) throw new Error(`${client}: dd in the guest failed: ${out.output}`);
          const seconds = end - start;
          samples.push({ client, seconds, mibPerS: isoMib / seconds, cpuMsPerMib: cpuMs / isoMib });
        }
        const whole = await guest.run('dd if=/dev/sr0 bs=1M iflag=direct 2>/dev/null | md5sum', { timeoutMs: 600_000 });
        if (whole.output.trim().split(/\s+/)[0] !== fileMd5) failures.push(`${client}: the guest read other bytes than the file's (${whole.output.trim()})`);
      } catch (e) {
        failures.push((e as Error).message);
      } finally {
        await sharer.stop();
      }
      await waitForGuestCdGone(guest);
    }
  } finally {
    await guest.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const loadAfter = loadavg()[0];
  const of = (client: CdClient, key: 'mibPerS' | 'cpuMsPerMib'): number[] => samples.filter((s) => s.client === client).map((s) => s[key]);
  const row = (client: CdClient): string[] => {
    const speed = of(client, 'mibPerS');
    return [client, String(speed.length), median(speed).toFixed(2), `${Math.min(...speed).toFixed(2)}-${Math.max(...speed).toFixed(2)}`, median(of(client, 'cpuMsPerMib')).toFixed(1)];
  };
  const ratio = (key: 'mibPerS' | 'cpuMsPerMib'): string => (median(of('spicedesk', key)) / median(of('spicy', key))).toFixed(2);
  const table = [
    formatTable(['client', 'reads', 'MiB/s median', 'MiB/s min-max', 'client CPU ms/MiB'], [row('spicedesk'), row('spicy')]),
    '',
    `spicedesk/spicy: throughput ${ratio('mibPerS')}, CPU per MiB ${ratio('cpuMsPerMib')}; ISO ${isoBytes} bytes; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after`,
  ].join('\n');
  return { table, samples, isoBytes, loadBefore, loadAfter, failure: failures.length ? failures.join('; ') : undefined };
}
