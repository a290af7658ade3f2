// `npm run bench -- --only usb`: bulk reads from the shared CD (a 64 MiB ISO offered as a USB
// CD-ROM) through spicedesk (`do --spice-share-cd`) against spice-gtk (`spicy --spice-share-cd`
// in Xvfb), one guest (QEMU TCG, qemu-xhci, usb-redir), the same run. In the guest:
// `dd if=/dev/sr0 of=/dev/null bs=1M iflag=direct` of the whole image (O_DIRECT: every read goes
// over usbredir, none from the guest's page cache), timed by the guest's /proc/uptime. On the
// host: the CPU (user + system, /proc) of the client's process tree during each dd, per MiB
// (spicy's tree without xvfb-run and Xvfb). `reads` rounds; in each, every client in turn shares
// the CD, the guest reads 16 MiB unmeasured, then the whole CD measured. `--usb-baseline` adds
// another spicedesk build (e.g. main's) as a third client: before/after in the same run.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsbredirChannel } from '../../src/protocol/channels/usbredir/usbredir-channel.ts';
import { LocalDisplaySink } from '../../src/protocol/display/local-display-sink.ts';
import { ChannelType } from '../../src/protocol/link/constants.ts';
import { silentLogger } from '../../src/protocol/logger.ts';
import { Session } from '../../src/protocol/session/session.ts';
import { nodeTicketCrypto } from '../../src/main/node/ticket-crypto.ts';
import { openSocket } from '../../src/main/transport/socket-transport.ts';
import { UsbredirHost } from '../../src/main/usb/usbredir-host.ts';
import { waitFor, waitUntil } from '../helpers/wait.ts';
import { startGuest, type Guest } from '../peers/guest.ts';
import { SimulatedDisk, SimulatedUsbSource } from '../peers/usb-simulated.ts';
import { isoImage } from '../peers/iso9660.ts';
import { shareCd, treeCpuMs, waitForGuestCd, waitForGuestCdGone, type CdClient } from '../peers/shared-cd.ts';
import { formatTable, median } from './measure.ts';

const ISO_MIB = 64;

/** Who read: spicedesk (this build), spicedesk-baseline (`--usb-baseline`, another build) or spicy. */
export type UsbBenchClient = 'spicedesk' | 'spicedesk-baseline' | 'spicy';

export interface UsbReadSample {
  client: UsbBenchClient;
  mibPerS: number;
  cpuMsPerMib: number;
  seconds: number;
}

/** The simulated disk (test-only, in this process): a 64 MiB guest write and read of /dev/sda. */
export interface DiskSample {
  op: 'write' | 'read';
  mibPerS: number;
  /** This process's CPU (it is the client here) per MiB. */
  cpuMsPerMib: number;
}

export interface UsbBenchResult {
  table: string;
  samples: UsbReadSample[];
  disk: DiskSample[];
  isoBytes: number;
  loadBefore: number;
  loadAfter: number;
  failure?: string;
}

export async function runUsbBench(options: { runs: number; root: string; usbBaseline?: string }): Promise<UsbBenchResult> {
  // Each read moves 64 MiB through a TCG guest: a few rounds are enough for a median.
  const reads = Math.max(1, Math.min(options.runs, 5));
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
  const disk: DiskSample[] = [];
  const failures: string[] = [];
  const loadBefore = loadavg()[0];
  const guest = await startGuest({ devices: ['usb'] });
  try {
    const clients: { client: UsbBenchClient; kind: CdClient; bin: string }[] = [
      { client: 'spicedesk', kind: 'spicedesk', bin: join(options.root, 'bin', 'spicedesk.cjs') },
      ...(options.usbBaseline ? [{ client: 'spicedesk-baseline' as const, kind: 'spicedesk' as const, bin: options.usbBaseline }] : []),
      { client: 'spicy', kind: 'spicy', bin: '' },
    ];
    // Rounds: each client shares the CD, the guest reads 16 MiB unmeasured (the client's JIT and
    // caches warm up, as they would in a long session), then the whole CD measured; the clients
    // take turns, so that the load of this shared machine, which swings within minutes, falls on
    // all of them alike. The last round also checks the bytes (md5 of the whole device).
    for (let round = 0; round < reads; round++) {
      for (const { client, kind, bin } of clients) {
        const sharer = shareCd(kind, guest.port, iso, bin);
        try {
          await waitForGuestCd(guest, sharer);
          const pid = sharer.clientPid();
          if (pid === undefined) throw new Error(`${client}: no client process found`);
          await guest.run('dd if=/dev/sr0 of=/dev/null bs=1M count=16 iflag=direct 2>/dev/null', { timeoutMs: 600_000 });
          const cpuBefore = treeCpuMs(pid);
          const out = await guest.run('a=$(cut -d" " -f1 /proc/uptime); dd if=/dev/sr0 of=/dev/null bs=1M iflag=direct 2>/tmp/dd.err; s=$?; b=$(cut -d" " -f1 /proc/uptime); echo "$s $a $b"; cat /tmp/dd.err', { timeoutMs: 600_000 });
          const cpuMs = treeCpuMs(pid) - cpuBefore;
          const [status, start, end] = out.output.trim().split('\n')[0].split(' ').map(Number);
          if (status !== 0) throw new Error(`${client}: dd in the guest failed: ${out.output}`);
          const seconds = end - start;
          samples.push({ client, seconds, mibPerS: isoMib / seconds, cpuMsPerMib: cpuMs / isoMib });
          if (round === reads - 1) {
            const whole = await guest.run('dd if=/dev/sr0 bs=1M iflag=direct 2>/dev/null | md5sum', { timeoutMs: 600_000 });
            if (whole.output.trim().split(/\s+/)[0] !== fileMd5) failures.push(`${client}: the guest read other bytes than the file's (${whole.output.trim()})`);
          }
        } catch (e) {
          failures.push((e as Error).message);
        } finally {
          await sharer.stop();
        }
        await waitForGuestCdGone(guest);
      }
    }
    try {
      disk.push(...await diskRun(guest, work));
    } catch (e) {
      failures.push(`simulated disk: ${(e as Error).message}`);
    }
  } finally {
    await guest.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const loadAfter = loadavg()[0];
  const of = (client: UsbBenchClient, key: 'mibPerS' | 'cpuMsPerMib'): number[] => samples.filter((s) => s.client === client).map((s) => s[key]);
  const row = (client: UsbBenchClient): string[] => {
    const speed = of(client, 'mibPerS');
    return [client, String(speed.length), median(speed).toFixed(2), `${Math.min(...speed).toFixed(2)}-${Math.max(...speed).toFixed(2)}`, median(of(client, 'cpuMsPerMib')).toFixed(1)];
  };
  const ratio = (key: 'mibPerS' | 'cpuMsPerMib', client: UsbBenchClient = 'spicedesk'): string => (median(of(client, key)) / median(of('spicy', key))).toFixed(2);
  const measured = (['spicedesk', 'spicedesk-baseline', 'spicy'] as const).filter((c) => samples.some((s) => s.client === c));
  const table = [
    formatTable(['client', 'reads', 'MiB/s median', 'MiB/s min-max', 'client CPU ms/MiB'], measured.map(row)),
    '',
    disk.map((d) => `simulated disk (spicedesk only, in the bench process): 64 MiB ${d.op} ${d.mibPerS.toFixed(2)} MiB/s, ${d.cpuMsPerMib.toFixed(1)} ms CPU/MiB`).join('\n'),
    `spicedesk/spicy: throughput ${ratio('mibPerS')}, CPU per MiB ${ratio('cpuMsPerMib')}; ISO ${isoBytes} bytes; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after`,
    ...(measured.includes('spicedesk-baseline') ? [`spicedesk-baseline/spicy (${options.usbBaseline}): throughput ${ratio('mibPerS', 'spicedesk-baseline')}, CPU per MiB ${ratio('cpuMsPerMib', 'spicedesk-baseline')}`] : []),
  ].join('\n');
  return { table, samples, disk, isoBytes, loadBefore, loadAfter, failure: failures.length ? failures.join('; ') : undefined };
}

/** Guest-timed dd (seconds from /proc/uptime); throws with dd's output when it fails. */
async function timedDd(guest: Guest, dd: string): Promise<number> {
  const out = await guest.run(`a=$(cut -d" " -f1 /proc/uptime); ${dd} 2>/tmp/dd.err; s=$?; b=$(cut -d" " -f1 /proc/uptime); echo "$s $a $b"; cat /tmp/dd.err`, { timeoutMs: 600_000 });
  const [status, start, end] = out.output.trim().split('\n')[0].split(' ').map(Number);
  if (status !== 0) throw new Error(`${dd} failed in the guest: ${out.output}`);
  return end - start;
}

/**
 * The test-only simulated disk on a 64 MiB file, through a Session in this process: the guest
 * writes 64 MiB of zeros (oflag=direct; zeros go LZ4-compressed, the cheap case) and reads the
 * disk back (iflag=direct; the file holds noise from the host, LZ4 cannot shrink it).
 */
async function diskRun(guest: Guest, work: string): Promise<DiskSample[]> {
  const MiB = 1024 * 1024;
  const backing = join(work, 'disk.img');
  const noise = new Uint8Array(64 * MiB);
  for (let i = 0; i < noise.length; i += 4) new DataView(noise.buffer).setUint32(i, Math.imul(i + 5, 2654435761) ^ (i >>> 5), true);
  writeFileSync(backing, noise);
  const session = new Session({
    connector: () => openSocket({ host: '127.0.0.1', port: guest.port }, 5000),
    crypto: nodeTicketCrypto,
    logger: silentLogger,
    displaySink: new LocalDisplaySink({ logger: silentLogger }),
    where: `127.0.0.1:${guest.port}`,
    shouldLink: (c) => c.type === ChannelType.USBREDIR,
  });
  const slots: UsbredirChannel[] = [];
  session.events.on('channel-linked', (ch) => {
    if (ch instanceof UsbredirChannel) slots.push(ch);
  });
  const source = new SimulatedUsbSource();
  const simulated = new SimulatedDisk({ path: backing });
  source.plug(simulated);
  try {
    await session.connect();
    const slot = await waitFor('a usbredir slot that said hello', () => slots.find((s) => s.helloDone && !s.device), 30_000);
    const host = await UsbredirHost.attach(slot, await source.open(simulated.description.id), { logger: silentLogger });
    try {
      await waitUntil('the guest\'s sda', async () => (await guest.run('[ -b /dev/sda ] && echo ok; true')).output.trim() === 'ok', 60_000, { pollMs: 300 });
      const samples: DiskSample[] = [];
      let cpu = process.cpuUsage();
      const readS = await timedDd(guest, 'dd if=/dev/sda of=/dev/null bs=1M count=64 iflag=direct');
      let used = process.cpuUsage(cpu);
      samples.push({ op: 'read', mibPerS: 64 / readS, cpuMsPerMib: (used.user + used.system) / 1000 / 64 });
      cpu = process.cpuUsage();
      const writeS = await timedDd(guest, 'dd if=/dev/zero of=/dev/sda bs=1M count=64 oflag=direct');
      used = process.cpuUsage(cpu);
      samples.push({ op: 'write', mibPerS: 64 / writeS, cpuMsPerMib: (used.user + used.system) / 1000 / 64 });
      if (simulated.bytesWritten < 64 * MiB) throw new Error(`the disk got ${simulated.bytesWritten} bytes written, not 64 MiB`);
      return samples;
    } finally {
      await host.detach();
    }
  } finally {
    source.unplug(simulated.description.id);
    simulated.close();
    await session.close();
  }
}
