// Port channels against QEMU with no guest OS: the QMP monitor on org.qemu.monitor.qmp.0, the
// webdav port and a port no one uses. `info` names each port and what spicedesk does with it, and
// shows the VM's state from QMP; `do power` pauses, resumes and resets the VM, each confirmed by
// QMP's event, and the state QEMU itself reports (through its own QMP socket) follows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfoReport } from '../../src/main/commands/info.ts';
import { startQemu, watchQmpEvents, type QemuServer } from '../peers/qemu.ts';
import { waitUntil } from '../helpers/wait.ts';
import { runCli } from '../helpers/cli.ts';

describe('port channels against QEMU', () => {
  let qemu: QemuServer;
  beforeAll(async () => {
    qemu = await startQemu({ qmpPort: true, webdav: true, otherPorts: ['org.example.unused.0'], qmp: true });
  }, 60_000);
  afterAll(async () => qemu?.stop());

  it('info lists the ports by name, what is done with each, and the VM state', { timeout: 60_000 }, async () => {
    const r = await runCli(['info', `spice://127.0.0.1:${qemu.port}`, '--json', '--timeout', '20']);
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as InfoReport;
    const byName = new Map(report.ports.map((p) => [p.name, p]));
    expect([...byName.keys()].sort()).toEqual(['org.example.unused.0', 'org.qemu.monitor.qmp.0', 'org.spice-space.webdav.0']);
    // QEMU's monitor chardev is open from the start; nothing in the VM opens the others.
    expect(byName.get('org.qemu.monitor.qmp.0')).toMatchObject({ opened: true, use: expect.stringMatching(/^QEMU monitor \(QMP\)/) });
    expect(byName.get('org.spice-space.webdav.0')).toMatchObject({ channel: 'webdav', opened: false, use: expect.stringMatching(/no folder shared/) });
    expect(byName.get('org.example.unused.0')).toMatchObject({ opened: false, use: 'not used by spicedesk (left alone)' });
    expect(report.vm).toEqual({ status: 'running', running: true, qemu: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    expect(report.channels.filter((c) => c.type === 'port' || c.type === 'webdav').map((c) => c.status)).toEqual(['linked', 'linked', 'linked']);
    const text = await runCli(['info', `spice://127.0.0.1:${qemu.port}`, '--timeout', '20']);
    // Once in a full run this second `info` printed nothing in 20 s and QEMU's own QMP socket then
    // answered nothing for 90 s (QEMU's main loop held; not reproduced since): the CLI's words first.
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/org\.qemu\.monitor\.qmp\.0 on port(:\d)?, open in the guest: QEMU monitor \(QMP\)/);
    expect(text.stdout).toMatch(/^vm: +running \(QEMU /m);
  });

  it('do power pause, resume and reset: QEMU sends each event and its state follows', { timeout: 90_000 }, async () => {
    const watcher = await Promise.race([
      watchQmpEvents(qemu.qmpSocket!),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("QEMU's own QMP socket gave no greeting and handshake within 15 s: QEMU's main loop is held")), 15_000).unref()),
    ]);
    try {
      const status = async () => ((await watcher.execute('query-status')) as { status: string }).status;
      expect(await status()).toBe('running');
      const pause = await runCli(['do', `spice://127.0.0.1:${qemu.port}`, 'power', 'pause', '--timeout', '20']);
      expect(pause.stderr).toMatch(/power pause: QEMU sent STOP; the VM is paused \(was running\)/);
      expect(pause.code).toBe(0);
      await waitUntil('STOP on QEMU\'s own monitor', () => watcher.events.includes('STOP'));
      expect(await status()).toBe('paused');
      const info = JSON.parse((await runCli(['info', `spice://127.0.0.1:${qemu.port}`, '--json', '--timeout', '20'])).stdout) as InfoReport;
      expect(info.vm).toMatchObject({ status: 'paused', running: false });
      const resume = await runCli(['do', `spice://127.0.0.1:${qemu.port}`, 'power', 'resume', '--timeout', '20']);
      expect(resume.stderr).toMatch(/power resume: QEMU sent RESUME; the VM is running \(was paused\)/);
      await waitUntil('RESUME on QEMU\'s own monitor', () => watcher.events.includes('RESUME'));
      expect(await status()).toBe('running');
      const reset = await runCli(['do', `spice://127.0.0.1:${qemu.port}`, 'power', 'reset', '--timeout', '20']);
      expect(reset.stderr).toMatch(/power reset: QEMU sent RESET; the VM is running/);
      expect(reset.code).toBe(0);
      await waitUntil('RESET on QEMU\'s own monitor', () => watcher.events.includes('RESET'));
      expect(watcher.events.filter((e) => ['STOP', 'RESUME', 'RESET', 'POWERDOWN', 'SHUTDOWN'].includes(e))).toEqual(['STOP', 'RESUME', 'RESET']);
    } finally {
      watcher.close();
    }
  });

  it('do power off quits QEMU (its SHUTDOWN, then the process ends)', { timeout: 90_000 }, async () => {
    const own = await startQemu({ qmpPort: true });
    try {
      const off = await runCli(['do', `spice://127.0.0.1:${own.port}`, 'power', 'off', '--timeout', '20']);
      expect(off.stderr).toMatch(/power off: QEMU (sent SHUTDOWN and )?quit/);
      expect(off.code).toBe(0);
      expect(await own.exited).toBe(0);
    } finally {
      await own.stop();
    }
  });
});
