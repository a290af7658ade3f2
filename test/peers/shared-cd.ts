// The shared CD (an ISO file offered as a USB CD-ROM) by two clients against the same guest:
// spicedesk (`do TARGET --spice-share-cd FILE wait`) and spice-gtk (`spicy --spice-share-cd FILE`
// in an Xvfb, with a redirect-on-connect rule: spice-gtk only puts the CD in on connect when
// such a rule is set, /work/shared/docs/devices.md 1.4). Shared by the oracle test
// (test/integration/usb-cd-spicy-qemu.test.ts) and the usb bench (test/bench/usb-bench.ts): what
// the guest sees of the CD, and the CPU a client's process tree spent, from /proc.
import { readdirSync, readFileSync } from 'node:fs';
import { BIN } from '../helpers/cli.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { Guest } from './guest.ts';
import { spawnGroup, type GroupProcess } from './processes.ts';
import { requireTool } from './require-tool.ts';

export type CdClient = 'spicedesk' | 'spicy';

export interface CdSharer {
  readonly client: CdClient;
  readonly process: GroupProcess;
  /** The pid whose process tree is the client (spicy itself, not xvfb-run and its Xvfb). */
  clientPid(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts `client` sharing `iso` with the guest behind `port`; the CD goes in once its slots link.
 * `bin` is the CLI to run (the bench, bundled elsewhere, passes its root's bin/spicedesk.cjs).
 */
export function shareCd(client: CdClient, port: number, iso: string, bin = BIN): CdSharer {
  if (client === 'spicedesk') {
    const p = spawnGroup(process.execPath, [bin, 'do', `spice://127.0.0.1:${port}`, '--spice-share-cd', iso, '--timeout', '60', 'wait', '900'],
      { name: 'spicedesk do --spice-share-cd', env: { ...process.env, SPICE_PASSWORD: undefined } });
    return { client, process: p, clientPid: () => p.pid, stop: () => p.stop() };
  }
  const spicy = requireTool('spicy', 'spice-client-gtk');
  const xvfbRun = requireTool('xvfb-run', 'xvfb');
  const p = spawnGroup(xvfbRun, ['-a', spicy, '-h', '127.0.0.1', '-p', String(port), `--spice-share-cd=${iso}`,
    '--spice-usbredir-redirect-on-connect=-1,-1,-1,-1,1'], { name: 'spicy --spice-share-cd' });
  return { client, process: p, clientPid: () => descendants(p.pid).find((pid) => procStat(pid)?.comm === 'spicy'), stop: () => p.stop() };
}

interface ProcStat {
  comm: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  // After "pid (comm) ": state ppid ... utime is field 14 of the whole line, i.e. index 11 here.
  return { comm: text.slice(text.indexOf('(') + 1, close), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** `root` and every process below it. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(Number(name));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(Number(name));
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU (user + system) the live processes of `root`'s tree have used so far, in ms (10 ms steps at 100 Hz). */
export function treeCpuMs(root: number): number {
  const hz = 100; // USER_HZ on Linux
  return descendants(root).reduce((sum, pid) => sum + (procStat(pid)?.ticks ?? 0), 0) * (1000 / hz);
}

/** What the guest sees of its CD: the block device's sysfs facts, the mounted listing and each file's md5, the whole device's md5. */
export interface GuestCdView {
  /** size (512-byte sectors), ro, removable, logical block size, SCSI type. */
  block: string;
  /** vendor and model the guest's SCSI layer read (INQUIRY): these differ between clients. */
  inquiry: string;
  /** `find` of the mounted CD with sizes, sorted. */
  listing: string[];
  /** md5sum of every file on it, sorted by path. */
  md5s: string[];
  /** md5 of all of /dev/sr0. */
  deviceMd5: string;
}

export async function waitForGuestCd(guest: Guest, sharer: CdSharer, timeoutMs = 90_000): Promise<void> {
  await waitUntil(`the guest's /dev/sr0 from ${sharer.client}`, async () => (await guest.run('[ -b /dev/sr0 ] && cat /sys/block/sr0/size; true')).output.trim() !== '',
    timeoutMs, { pollMs: 300, explain: () => `${sharer.client}: ${sharer.process.outputTail().slice(-1500)}\nserial log:\n${guest.serialLog().slice(-1500)}` });
}

export async function waitForGuestCdGone(guest: Guest, timeoutMs = 30_000): Promise<void> {
  await waitUntil('the CD to leave the guest', async () => (await guest.run('[ -e /sys/block/sr0 ] && echo there; true')).output.trim() === '',
    timeoutMs, { pollMs: 300 });
}

export async function guestCdView(guest: Guest): Promise<GuestCdView> {
  const sys = '/sys/block/sr0';
  const block = await guest.run(`echo "$(cat ${sys}/size) ro=$(cat ${sys}/ro) removable=$(cat ${sys}/removable) lbs=$(cat ${sys}/queue/logical_block_size) type=$(cat ${sys}/device/type)"`);
  const inquiry = await guest.run(`echo "$(cat ${sys}/device/vendor) $(cat ${sys}/device/model)"`);
  const mounted = await guest.run('mkdir -p /mnt/cd && mount -t iso9660 -o ro /dev/sr0 /mnt/cd && cd /mnt/cd && for f in $(find . | sort); do if [ -f "$f" ]; then echo "$f $(wc -c < "$f")"; else echo "$f/"; fi; done && echo --- && find . -type f | sort | xargs md5sum; cd /; umount /mnt/cd', { timeoutMs: 120_000 });
  if (mounted.status !== 0) throw new Error(`mounting the guest's CD failed: ${mounted.output}`);
  const [listing, md5s] = mounted.output.trim().split('\n---\n').map((part) => part.split('\n').map((l) => l.trim()).filter(Boolean));
  const whole = await guest.run('dd if=/dev/sr0 bs=64k 2>/dev/null | md5sum', { timeoutMs: 120_000 });
  return { block: block.output.trim(), inquiry: inquiry.output.trim(), listing, md5s: md5s.map((l) => l.replace(/\s+/, ' ')), deviceMd5: whole.output.trim().split(/\s+/)[0] };
}
