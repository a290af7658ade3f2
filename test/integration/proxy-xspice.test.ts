// Captures through a real HTTP CONNECT proxy (Debian's tinyproxy, started with a configuration
// written here) must equal a direct capture; each way the proxy can refuse has its own message and
// exit code 3, and the proxy password never shows. The https:// proxy is tinyproxy behind socat's
// TLS listener, trusted through NODE_EXTRA_CA_CERTS. SPICE's own TLS runs inside the tunnel too.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawStandardDesktop } from '../peers/desktop.ts';
import { freePort } from '../peers/free-port.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { waitUntil } from '../helpers/wait.ts';
import { comparePixels, explainMismatch, readPng } from '../peers/png.ts';
import { requireTool } from '../peers/require-tool.ts';
import { CertificateWorkshop, type CertificateAuthority } from '../peers/tls-certs.ts';
import { startXspice, tcpAccepts, type XspiceServer } from '../peers/xspice.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-proxy-'));
const PROXY_PASSWORD = 'pr0xy-S3cret';
const started: GroupProcess[] = [];
afterAll(async () => {
  for (const p of started) await p.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function waitForPort(port: number, p: GroupProcess): Promise<void> {
  await waitUntil(`port ${port} to accept connections`, () => tcpAccepts(port), 5000).catch(() => undefined);
  if (!(await tcpAccepts(port))) throw new Error(`${p.name} did not listen on ${port}:\n${p.outputTail()}`);
}

/** tinyproxy in the foreground on a free loopback port; CONNECT only to `connectPorts`. */
async function startTinyproxy(name: string, connectPorts: number[], auth?: { user: string; password: string }): Promise<number> {
  const tinyproxy = requireTool('tinyproxy', 'tinyproxy');
  const port = await freePort();
  const lines = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    'MaxClients 50',
    'Allow 127.0.0.1',
    'LogLevel Info',
    ...connectPorts.map((p) => `ConnectPort ${p}`),
    ...(auth ? [`BasicAuth ${auth.user} ${auth.password}`] : []),
  ];
  const conf = join(dir, `${name}.conf`);
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const p = spawnGroup(tinyproxy, ['-d', '-c', conf], { name: `tinyproxy ${name}` });
  started.push(p);
  await waitForPort(port, p);
  return port;
}

async function capture(name: string, target: string, env: NodeJS.ProcessEnv, timeoutS = 10): Promise<CliResult & { out: string }> {
  const out = join(dir, `${name}.png`);
  const r = await runCli(['capture', target, '-o', out, '--timeout', String(timeoutS)], { env });
  return { ...r, out };
}

describe('HTTP CONNECT proxy (tinyproxy) in front of Xspice', () => {
  let xs: XspiceServer;
  let direct: ReturnType<typeof readPng>;
  let openProxy = 0;
  let authProxy = 0;
  let deadPort = 0;

  beforeAll(async () => {
    xs = await startXspice({ imageCompression: 'off' });
    await drawStandardDesktop(xs);
    const d = await capture('direct', `spice://127.0.0.1:${xs.port}`, {});
    expect(d.code, d.stderr).toBe(0);
    direct = readPng(d.out);
    deadPort = await freePort();
    openProxy = await startTinyproxy('open', [xs.port, deadPort]);
    authProxy = await startTinyproxy('auth', [xs.port], { user: 'viewer', password: PROXY_PASSWORD });
  });
  afterAll(() => xs?.stop());

  function expectSameAsDirect(name: string, r: CliResult & { out: string }): void {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const mine = readPng(r.out);
    const cmp = comparePixels(direct, mine, { ignoreAlpha: true });
    if (!cmp.equal) explainMismatch(name, direct, mine);
    expect(cmp.sizeMismatch).toBeFalsy();
    expect(cmp.differing).toBe(0);
  }

  it('SPICE_PROXY: the capture equals a direct one', async () => {
    expectSameAsDirect('env', await capture('env', `spice://127.0.0.1:${xs.port}`, { SPICE_PROXY: `http://127.0.0.1:${openProxy}` }));
  });

  it('the .vv proxy key with Basic authentication: the capture equals a direct one', async () => {
    const vv = join(dir, 'auth.vv');
    writeFileSync(vv, `[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=${xs.port}\nproxy=http://viewer:${PROXY_PASSWORD}@127.0.0.1:${authProxy}\n`);
    expectSameAsDirect('vv-auth', await capture('vv-auth', vv, {}));
  });

  it('a wrong proxy password has its own message, exit 3, and the password is not shown', async () => {
    const r = await capture('wrong', `spice://127.0.0.1:${xs.port}`, { SPICE_PROXY: `http://viewer:not-${PROXY_PASSWORD}@127.0.0.1:${authProxy}` });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/rejected the proxy user name or password \(40[17] /);
    expect(r.stderr).not.toContain(PROXY_PASSWORD);
  });

  it('no credentials for a proxy that wants them: says to add them', async () => {
    const r = await capture('nocreds', `spice://127.0.0.1:${xs.port}`, { SPICE_PROXY: `http://127.0.0.1:${authProxy}` });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/requires authentication \(407.*user:password@/);
  });

  it('a port the proxy may not CONNECT to (403) says so', async () => {
    const notAllowed = await freePort();
    const r = await capture('forbidden', `spice://127.0.0.1:${notAllowed}`, { SPICE_PROXY: `http://127.0.0.1:${openProxy}` });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`does not allow a connection to 127\\.0\\.0\\.1:${notAllowed} \\(403`));
  });

  it('a server the proxy cannot reach says the proxy could not reach it', async () => {
    const r = await capture('dead', `spice://127.0.0.1:${deadPort}`, { SPICE_PROXY: `http://127.0.0.1:${openProxy}` });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`could not reach the SPICE server 127\\.0\\.0\\.1:${deadPort} \\(50[0-4]`));
  });

  it('a proxy that never answers times out with its own message', async () => {
    const held: Socket[] = [];
    const silent: Server = createServer((s) => held.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const r = await capture('silent', `spice://127.0.0.1:${xs.port}`, { SPICE_PROXY: `http://127.0.0.1:${port}` }, 2);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`proxy http://127\\.0\\.0\\.1:${port} did not open a tunnel`));
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });

  it('an https:// proxy (TLS to the proxy) with Basic authentication: the capture equals a direct one', async () => {
    const socat = requireTool('socat', 'socat');
    const openssl = requireTool('openssl', 'openssl');
    const key = join(dir, 'proxy.key');
    const cert = join(dir, 'proxy.crt');
    execFileSync(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=test proxy', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const tlsPort = await freePort();
    const front = spawnGroup(socat, [`OPENSSL-LISTEN:${tlsPort},bind=127.0.0.1,reuseaddr,fork,cert=${cert},key=${key},verify=0`, `TCP:127.0.0.1:${authProxy}`], { name: 'socat tls' });
    started.push(front);
    await waitForPort(tlsPort, front);
    const proxy = `https://viewer:${PROXY_PASSWORD}@127.0.0.1:${tlsPort}`;
    expectSameAsDirect('https', await capture('https', `spice://127.0.0.1:${xs.port}`, { SPICE_PROXY: proxy, NODE_EXTRA_CA_CERTS: cert }));
    const untrusted = await capture('https-untrusted', `spice://127.0.0.1:${xs.port}`, { SPICE_PROXY: proxy });
    expect(untrusted.code).toBe(5);
    expect(untrusted.stderr).toMatch(/TLS to the proxy https:\/\/127\.0\.0\.1:\d+ failed/);
  });
});

describe('SPICE TLS through the proxy tunnel', () => {
  const workshop = new CertificateWorkshop();
  let xs: XspiceServer;
  let tlsPort = 0;
  let proxyPort = 0;
  let ca: CertificateAuthority;
  let direct: ReturnType<typeof readPng>;

  beforeAll(async () => {
    ca = workshop.createCa('proxy-test-ca');
    const cert = workshop.createServer('proxied', ca, { subject: '/O=spicedesk tests/CN=proxied server', altNames: ['IP:127.0.0.1'] });
    tlsPort = await freePort();
    xs = await startXspice({ imageCompression: 'off', tls: { port: tlsPort, caFile: ca.certFile, certFile: cert.certFile, keyFile: cert.keyFile } });
    await drawStandardDesktop(xs);
    const d = await capture('tls-direct', `spice://127.0.0.1:${xs.port}`, {});
    expect(d.code, d.stderr).toBe(0);
    direct = readPng(d.out);
    // Only the TLS port: a plain connection through this proxy would be refused.
    proxyPort = await startTinyproxy('tls-only', [tlsPort], { user: 'viewer', password: PROXY_PASSWORD });
  });
  afterAll(async () => {
    await xs?.stop();
    workshop.remove();
  });

  it('a .vv with tls-port, ca, host-subject and proxy: every channel on TLS through the tunnel equals a direct capture', async () => {
    const vv = join(dir, 'tls.vv');
    const caText = ca.pem.replace(/\n/g, '\\n');
    writeFileSync(
      vv,
      `[virt-viewer]\ntype=spice\nhost=127.0.0.1\ntls-port=${tlsPort}\nca=${caText}\nhost-subject=O=spicedesk tests, CN=proxied server\n` +
        `proxy=http://viewer:${PROXY_PASSWORD}@127.0.0.1:${proxyPort}\n`,
    );
    const r = await capture('tls-proxied', vv, {});
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const mine = readPng(r.out);
    const cmp = comparePixels(direct, mine, { ignoreAlpha: true });
    if (!cmp.equal) explainMismatch('tls-proxied', direct, mine);
    expect(cmp.differing).toBe(0);
  });
});
