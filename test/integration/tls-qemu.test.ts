// NEED_UNSECURED from a real server: QEMU with a TLS port and `plaintext-channel=cursor` refuses
// the cursor channel on TLS. A .vv whose secure-channels sends every channel to TLS first gets the
// cursor moved to the plain port; a spice+tls:// target (TLS only) is refused with its own message.
// (Xspice has no per-channel security option, so QEMU is the server here.)
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../peers/free-port.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { waitUntil } from '../helpers/wait.ts';
import { qemuArgs } from '../peers/qemu.ts';
import { requireTool } from '../peers/require-tool.ts';
import { CertificateWorkshop, type CertificateAuthority } from '../peers/tls-certs.ts';
import { tcpAccepts } from '../peers/xspice.ts';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-tls-qemu-'));
const workshop = new CertificateWorkshop();

interface ChannelReport {
  type: string;
  id: number;
  status: string;
  detail?: string;
}

describe('QEMU refusing TLS for the cursor channel (NEED_UNSECURED)', () => {
  let qemu: GroupProcess;
  let ca: CertificateAuthority;
  let port: number;
  let tlsPort: number;

  beforeAll(() => {
    requireTool('qemu-system-x86_64', 'qemu-system-x86');
    ca = workshop.createCa('qemu-ca');
    const cert = workshop.createServer('qemu-server', ca, { subject: '/O=spicedesk tests/CN=localhost', altNames: ['DNS:localhost'] });
    // QEMU reads fixed names from x509-dir.
    for (const [from, to] of [[ca.certFile, 'ca-cert.pem'], [cert.certFile, 'server-cert.pem'], [cert.keyFile, 'server-key.pem']] as const) {
      copyFileSync(from, join(dir, to));
    }
  });

  // A QEMU for each test: Debian's spice-server sometimes dies of a NULL pointer in its display
  // worker after a client leaves (docs/testing.md), and the next test would find its ports closed.
  beforeEach(async () => {
    const binary = requireTool('qemu-system-x86_64', 'qemu-system-x86');
    port = await freePort();
    tlsPort = await freePort();
    const args = qemuArgs(port, {}, undefined);
    const spiceAt = args.indexOf('-spice') + 1;
    args[spiceAt] = `${args[spiceAt]},tls-port=${tlsPort},x509-dir=${dir},plaintext-channel=cursor`;
    qemu = spawnGroup(binary, args, { name: `qemu (spice ${port}, tls ${tlsPort})` });
    await waitUntil(`port ${tlsPort} to accept connections`, () => tcpAccepts(tlsPort), 20_000).catch(() => undefined);
    expect(await tcpAccepts(tlsPort), qemu.outputTail()).toBe(true);
  }, 60_000);

  afterEach(async () => {
    await qemu?.stop();
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    workshop.remove();
  });

  it('secure-channels=all: every channel links, the cursor on the plain port after NEED_UNSECURED', async () => {
    const vv = join(dir, 'all-secure.vv');
    writeFileSync(vv, ['[virt-viewer]', 'type=spice', 'host=localhost', `port=${port}`, `tls-port=${tlsPort}`, 'secure-channels=all', `ca=${ca.pem.trim().replace(/\n/g, '\\n')}`, ''].join('\n'));
    const r = await runCli(['info', vv, '--json', '--timeout', '20', '-v']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { channels: ChannelReport[] };
    const cursor = report.channels.find((c) => c.type === 'cursor');
    expect(cursor?.status).toBe('linked');
    for (const c of report.channels) expect(`${c.type}:${c.id} ${c.status}`).toMatch(/ linked$/);
    // The move is logged (as a warning: the channel now travels unencrypted), for the cursor only.
    const moved = r.stderr.split('\n').filter((line) => line.includes('goes unencrypted to the plain port'));
    expect(moved).toHaveLength(1);
    expect(moved[0]).toContain('the server refuses TLS for the cursor channel');
  });

  // A channel other than main that fails to link does not end the session: `info` reports it.
  async function cursorReport(target: string): Promise<ChannelReport | undefined> {
    const r = await runCli(['info', target, '--json', '--timeout', '20', '--spice-ca-file', ca.certFile]);
    // QEMU's own last words too: once under load its TLS port refused a connection here.
    expect(r.code, `${r.stderr}\nQEMU: ${qemu.outputTail()}`).toBe(0);
    const report = JSON.parse(r.stdout) as { channels: ChannelReport[] };
    for (const c of report.channels.filter((x) => x.type !== 'cursor')) expect(`${c.type}:${c.id} ${c.status}`).toMatch(/ linked$/);
    return report.channels.find((c) => c.type === 'cursor');
  }

  it('spice+tls:// allows TLS only: the cursor channel fails, naming NEED_UNSECURED', async () => {
    const cursor = await cursorReport(`spice+tls://localhost:${tlsPort}`);
    expect(cursor?.status).toBe('failed');
    expect(cursor?.detail).toMatch(/^the cursor channel could not be linked: the server refuses TLS for the cursor channel \(NEED_UNSECURED\), but a spice\+tls:\/\/ target allows TLS only/);
  });

  it('without a plain port in the profile: the cursor channel fails, nowhere to move it', async () => {
    const cursor = await cursorReport(`spice://localhost?tls-port=${tlsPort}`);
    expect(cursor?.status).toBe('failed');
    expect(cursor?.detail).toMatch(/^the cursor channel could not be linked: the server refuses TLS for the cursor channel \(NEED_UNSECURED\), but the profile has no plain port/);
  });
});
