// TLS against a real Xspice listening on a TLS port only, with certificates made by openssl in the
// test: the right CA and subject connect; every verification failure has its own message and exit 5.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../peers/free-port.ts';
import { startMisbehavingServer } from '../peers/misbehaving-server.ts';
import { CertificateWorkshop, type CertificateAuthority, type ServerCertificate } from '../peers/tls-certs.ts';
import { startXspice, tcpAccepts, type XspiceServer } from '../peers/xspice.ts';
import { spawnGroup } from '../peers/processes.ts';
import { waitUntil } from '../helpers/wait.ts';
import { requireTool } from '../peers/require-tool.ts';
import { readPng } from '../peers/png.ts';
import { runCli } from '../helpers/cli.ts';

const SUBJECT = 'C=IL, L=Raanana, O=Red Hat, CN=my server';
const dir = mkdtempSync(join(tmpdir(), 'spicedesk-tls-'));
const workshop = new CertificateWorkshop();
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  workshop.remove();
});

let vvCount = 0;
function writeVv(keys: Record<string, string | number>): string {
  const path = join(dir, `t${vvCount++}.vv`);
  const lines = ['[virt-viewer]', 'type=spice', ...Object.entries(keys).map(([k, v]) => `${k}=${String(v).replace(/\n/g, '\\n')}`)];
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

async function startTlsXspice(ca: CertificateAuthority, cert: ServerCertificate): Promise<{ xs: XspiceServer; tlsPort: number }> {
  const tlsPort = await freePort();
  const xs = await startXspice({ tls: { port: tlsPort, caFile: ca.certFile, certFile: cert.certFile, keyFile: cert.keyFile, withoutPlainPort: true } });
  return { xs, tlsPort };
}

describe('Xspice with a TLS port only', () => {
  let ca: CertificateAuthority;
  let otherCa: CertificateAuthority;
  let server: XspiceServer;
  let tlsPort: number;

  beforeAll(async () => {
    ca = workshop.createCa('test-ca');
    otherCa = workshop.createCa('stranger-ca');
    const cert = workshop.createServer('server', ca, { subject: '/C=IL/L=Raanana/O=Red Hat/CN=my server', altNames: ['DNS:localhost'] });
    ({ xs: server, tlsPort } = await startTlsXspice(ca, cert));
  }, 60_000);
  afterAll(async () => server?.stop());

  it('the right CA and host-subject connect: capture and info', async () => {
    const vv = writeVv({ host: '127.0.0.1', 'tls-port': tlsPort, ca: ca.pem, 'host-subject': SUBJECT });
    const out = join(dir, 'right.png');
    const r = await runCli(['capture', vv, '-o', out, '--timeout', '10']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readPng(out).width).toBeGreaterThan(0);
    const info = await runCli(['info', vv, '--json', '--timeout', '10']);
    expect(info.stderr).toBe('');
    expect(info.code).toBe(0);
  });

  it('secure-channels=all with a plain port that nobody listens on: every channel goes over TLS', async () => {
    const closedPort = await freePort();
    const vv = writeVv({ host: '127.0.0.1', port: closedPort, 'tls-port': tlsPort, ca: ca.pem, 'host-subject': SUBJECT, 'secure-channels': 'all' });
    const r = await runCli(['capture', vv, '-o', join(dir, 'secure.png'), '--timeout', '10']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Without secure-channels the main channel goes to the plain port, which is closed.
    const plain = writeVv({ host: '127.0.0.1', port: closedPort, 'tls-port': tlsPort, ca: ca.pem, 'host-subject': SUBJECT });
    const p = await runCli(['capture', plain, '-o', join(dir, 'plain.png'), '--timeout', '10']);
    expect(p.code).not.toBe(0);
    expect(oneLine(p.stderr)).toMatch(/refused the connection/);
  });

  it('a plain port that answers NEED_SECURED: the channel moves to the TLS port and links', async () => {
    const refusing = await startMisbehavingServer('link-error', { linkError: 5 });
    try {
      const vv = writeVv({ host: '127.0.0.1', port: refusing.port, 'tls-port': tlsPort, ca: ca.pem, 'host-subject': SUBJECT });
      const r = await runCli(['capture', vv, '-o', join(dir, 'moved.png'), '--timeout', '10']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // Without a tls-port there is nowhere to move to.
      const none = await runCli(['info', `spice://127.0.0.1:${refusing.port}`, '--timeout', '10']);
      expect(none.code).toBe(5);
      expect(oneLine(none.stderr)).toMatch(/requires TLS for the main channel, but the profile has no tls-port/);
    } finally {
      await refusing.stop();
    }
  });

  it('without host-subject, the host name in the certificate\'s SANs connects', async () => {
    const vv = writeVv({ host: 'localhost', 'tls-port': tlsPort, ca: ca.pem });
    const r = await runCli(['info', vv, '--timeout', '10']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a CA that did not sign the certificate: exit 5, unknown CA', async () => {
    const vv = writeVv({ host: '127.0.0.1', 'tls-port': tlsPort, ca: otherCa.pem, 'host-subject': SUBJECT });
    const r = await runCli(['info', vv, '--timeout', '10']);
    expect(r.code).toBe(5);
    expect(oneLine(r.stderr)).toMatch(/not signed by a trusted CA/);
  });

  it('no CA at all: the system store does not know the test CA, exit 5', async () => {
    const r = await runCli(['info', `spice+tls://localhost:${tlsPort}`, '--timeout', '10']);
    expect(r.code).toBe(5);
    expect(oneLine(r.stderr)).toMatch(/not signed by a trusted CA \(the system CA store\)/);
  });

  it('the wrong host-subject: exit 5, expected and actual named', async () => {
    const vv = writeVv({ host: '127.0.0.1', 'tls-port': tlsPort, ca: ca.pem, 'host-subject': 'C=IL, L=Raanana, O=Red Hat, CN=other server' });
    const r = await runCli(['info', vv, '--timeout', '10']);
    expect(r.code).toBe(5);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/wrong subject/);
    expect(line).toContain('expected host-subject "C=IL, L=Raanana, O=Red Hat, CN=other server"');
    expect(line).toContain('presented "C=IL, L=Raanana, O=Red Hat, CN=my server"');
  });

  it('a host name the certificate does not carry: exit 5, names the certificate\'s names', async () => {
    const vv = writeVv({ host: '127.0.0.1', 'tls-port': tlsPort, ca: ca.pem });
    const r = await runCli(['info', vv, '--timeout', '10']);
    expect(r.code).toBe(5);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/not for the host name "127\.0\.0\.1"/);
    expect(line).toContain('DNS:localhost');
  });

  it('a cipher list the server does not share: exit 5, handshake failure', async () => {
    // The server offers only TLS 1.2+ with modern suites; a 3DES-only list has nothing in common.
    const vv = writeVv({ host: '127.0.0.1', 'tls-port': tlsPort, ca: ca.pem, 'host-subject': SUBJECT, 'tls-ciphers': 'DES-CBC3-SHA' });
    const r = await runCli(['info', vv, '--timeout', '10']);
    expect(r.code).toBe(5);
    expect(oneLine(r.stderr)).toMatch(/TLS|cipher/);
  });
});

describe('--spice-ca-file against Xspice on a TLS port', () => {
  let ca: CertificateAuthority;
  let otherCa: CertificateAuthority;
  let server: XspiceServer;
  let tlsPort: number;

  beforeAll(async () => {
    ca = workshop.createCa('file-ca');
    otherCa = workshop.createCa('file-stranger-ca');
    const cert = workshop.createServer('file-server', ca, { subject: '/C=IL/L=Raanana/O=Red Hat/CN=my server', altNames: ['DNS:localhost'] });
    ({ xs: server, tlsPort } = await startTlsXspice(ca, cert));
  }, 60_000);
  afterAll(async () => server?.stop());

  it('a spice+tls:// URI with the CA from the file connects (capture, info, do)', async () => {
    const target = `spice+tls://localhost:${tlsPort}`;
    const out = join(dir, 'ca-file.png');
    const r = await runCli(['capture', target, '-o', out, '--timeout', '10', '--spice-ca-file', ca.certFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readPng(out).width).toBeGreaterThan(0);
    const info = await runCli(['info', '--spice-ca-file', ca.certFile, target, '--timeout', '10']);
    expect(info.stderr).toBe('');
    expect(info.code).toBe(0);
    const d = await runCli(['do', '--spice-ca-file', ca.certFile, '--timeout', '10', target, 'capture', join(dir, 'ca-file-do.png')]);
    expect(d.stderr).toBe('');
    expect(d.code).toBe(0);
  });

  it('trusted together with the .vv ca, as spice-gtk does: either one signing the certificate is enough', async () => {
    const strangerInVv = writeVv({ host: 'localhost', 'tls-port': tlsPort, ca: otherCa.pem });
    const both = await runCli(['info', strangerInVv, '--timeout', '10', '--spice-ca-file', ca.certFile]);
    expect(both.stderr).toBe('');
    expect(both.code).toBe(0);
    const rightInVv = writeVv({ host: 'localhost', 'tls-port': tlsPort, ca: ca.pem });
    const reverse = await runCli(['info', rightInVv, '--timeout', '10', '--spice-ca-file', otherCa.certFile]);
    expect(reverse.stderr).toBe('');
    expect(reverse.code).toBe(0);
  });

  it('a CA file that did not sign the certificate: exit 5, naming the file', async () => {
    const r = await runCli(['info', `spice+tls://localhost:${tlsPort}`, '--timeout', '10', '--spice-ca-file', otherCa.certFile]);
    expect(r.code).toBe(5);
    expect(oneLine(r.stderr)).toMatch(/not signed by a trusted CA \(CA from ".*file-stranger-ca-cert\.pem"\)/);
  });

  it('a missing, empty or non-PEM file: exit 2 before connecting, naming the file and what is wrong', async () => {
    const notPem = join(dir, 'not-a-cert.pem');
    writeFileSync(notPem, 'this is not a certificate\n');
    const cases: [string, RegExp][] = [
      [join(dir, 'no-such-ca.pem'), /--spice-ca-file ".*no-such-ca\.pem" does not exist/],
      [notPem, /--spice-ca-file ".*not-a-cert\.pem" holds no PEM certificate/],
      [dir, /is a directory/],
    ];
    for (const [file, message] of cases) {
      for (const args of [['info', `spice+tls://localhost:${tlsPort}`], ['do', `spice+tls://localhost:${tlsPort}`, 'wait', '0'], ['serve', `spice+tls://localhost:${tlsPort}`]]) {
        const r = await runCli([...args, '--timeout', '10', '--spice-ca-file', file]);
        expect(r.code, `${args[0]} ${file}`).toBe(2);
        expect(oneLine(r.stderr)).toMatch(message);
      }
    }
  });
});

describe('a server that speaks only TLS 1.1', () => {
  it('is refused with its own message (TLS 1.2 is the minimum), exit 5', async () => {
    // Debian's OpenSSL 3 still speaks TLS 1.1 at security level 0; Node's client is held at 1.2+.
    const openssl = requireTool('openssl', 'openssl');
    const ca = workshop.createCa('old-ca');
    const cert = workshop.createServer('old-server', ca, { subject: '/CN=localhost', altNames: ['DNS:localhost'] });
    const port = await freePort();
    const server = spawnGroup(openssl, ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert.certFile, '-key', cert.keyFile, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0', '-quiet'], {
      name: 'openssl s_server -tls1_1',
    });
    try {
      await waitUntil(`port ${port} to accept connections`, () => tcpAccepts(port), 10_000).catch(() => undefined);
      expect(await tcpAccepts(port), server.outputTail()).toBe(true);
      const r = await runCli(['info', `spice+tls://localhost:${port}`, '--timeout', '10', '--spice-ca-file', ca.certFile]);
      expect(r.code).toBe(5);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`localhost:${port} \\(TLS\\) speaks only a TLS version older than 1\\.2, which spicedesk refuses`));
    } finally {
      await server.stop();
    }
  });
});

describe('the .vv versions gate', () => {
  it('a file asking for a newer spicedesk: exit 2 with the version and the URL, nothing connected', async () => {
    const port = await freePort();
    const vv = writeVv({
      host: '127.0.0.1',
      port,
      versions: 'rhev-win64:2.0-160;spicedesk:999.0',
      'newer-version-url': 'https://example.org/spicedesk/download',
    });
    for (const args of [['info', vv], ['capture', vv, '-o', join(dir, 'never.png')], ['serve', vv]]) {
      const r = await runCli([...args, '--timeout', '5']);
      expect(r.code, args[0]).toBe(2);
      expect(oneLine(r.stderr)).toBe(
        'spicedesk: at least spicedesk version 999.0 is required to set up this connection (this is 0.1.0; the file asks for it with versions=spicedesk:999.0); see https://example.org/spicedesk/download for details',
      );
    }
  });

  it("other clients' minimum versions do not stop spicedesk", async () => {
    const port = await freePort();
    const vv = writeVv({ host: '127.0.0.1', port, version: '99.0', versions: 'rhev-win64:99.0-160;rhel8:99.0' });
    const r = await runCli(['info', vv, '--timeout', '5']);
    // Nothing listens on the port: it got as far as connecting.
    expect(r.code).toBe(3);
  });
});

describe('Xspice with an expired certificate', () => {
  let ca: CertificateAuthority;
  let server: XspiceServer;
  let tlsPort: number;

  beforeAll(async () => {
    ca = workshop.createCa('expired-ca');
    const cert = workshop.createServer('expired', ca, {
      subject: '/C=IL/L=Raanana/O=Red Hat/CN=my server',
      altNames: ['DNS:localhost', 'IP:127.0.0.1'],
      notBefore: new Date(Date.now() - 40 * 86_400_000),
      days: 10,
    });
    ({ xs: server, tlsPort } = await startTlsXspice(ca, cert));
  }, 60_000);
  afterAll(async () => server?.stop());

  it('exit 5, says the certificate has expired', async () => {
    const vv = writeVv({ host: '127.0.0.1', 'tls-port': tlsPort, ca: ca.pem, 'host-subject': SUBJECT });
    const r = await runCli(['info', vv, '--timeout', '10']);
    expect(r.code).toBe(5);
    expect(oneLine(r.stderr)).toMatch(/has expired/);
  });
});
