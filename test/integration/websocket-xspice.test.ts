// ws:// targets against a real Xspice: straight to spice-server's own WebSocket support (it takes
// an HTTP upgrade on its SPICE port) and through websockify. Each capture must equal a capture
// over plain TCP of the same screen, pixel for pixel; wss:// through websockify's TLS listener too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawStandardDesktop } from '../peers/desktop.ts';
import { freePort } from '../peers/free-port.ts';
import { isUniform } from '../peers/image.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { waitUntil } from '../helpers/wait.ts';
import { comparePixels, explainMismatch, readPng } from '../peers/png.ts';
import { requireTool } from '../peers/require-tool.ts';
import { CertificateWorkshop } from '../peers/tls-certs.ts';
import { startXspice, tcpAccepts, type XspiceServer } from '../peers/xspice.ts';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-ws-'));
const workshop = new CertificateWorkshop();
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  workshop.remove();
});

async function capture(name: string, target: string, env: NodeJS.ProcessEnv = {}): Promise<ReturnType<typeof readPng>> {
  const out = join(dir, `${name}.png`);
  const r = await runCli(['capture', target, '-o', out, '--timeout', '10'], { env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return readPng(out);
}

function expectSame(name: string, expected: ReturnType<typeof readPng>, actual: ReturnType<typeof readPng>): void {
  const cmp = comparePixels(expected, actual, { ignoreAlpha: true });
  if (!cmp.equal) explainMismatch(name, expected, actual);
  expect(cmp.sizeMismatch).toBeFalsy();
  expect(cmp.differing).toBe(0);
}

describe('SPICE over WebSocket against Xspice', () => {
  let xs: XspiceServer;
  let direct: ReturnType<typeof readPng>;
  let relay: GroupProcess | undefined;
  let relayPort = 0;

  beforeAll(async () => {
    xs = await startXspice({ imageCompression: 'off' });
    const reference = await drawStandardDesktop(xs);
    expect(isUniform(reference)).toBe(false);
    direct = await capture('direct', `spice://127.0.0.1:${xs.port}`);
    expectSame('direct-vs-spice-gtk', reference, direct);
  });
  afterAll(async () => {
    await relay?.stop();
    await xs?.stop();
  });

  it("captures through spice-server's own WebSocket support on the SPICE port", async () => {
    expectSame('ws-direct', direct, await capture('ws-direct', `ws://127.0.0.1:${xs.port}/`));
  });

  it('captures through websockify', async () => {
    const websockify = requireTool('websockify', 'websockify');
    relayPort = await freePort();
    relay = spawnGroup(websockify, [`127.0.0.1:${relayPort}`, `127.0.0.1:${xs.port}`], { name: 'websockify' });
    await waitUntil(`port ${relayPort} to accept connections`, () => tcpAccepts(relayPort), 10_000).catch(() => undefined);
    expect(await tcpAccepts(relayPort), relay.outputTail()).toBe(true);
    expectSame('ws-websockify', direct, await capture('ws-websockify', `ws://127.0.0.1:${relayPort}`));
  });

  it('wss:// through websockify with TLS: trusted through NODE_EXTRA_CA_CERTS or --spice-ca-file it equals a TCP capture; untrusted, wrong CA, wrong host name are exit 5', async () => {
    const websockify = requireTool('websockify', 'websockify');
    const ca = workshop.createCa('ws-ca');
    const cert = workshop.createServer('ws-server', ca, { subject: '/O=spicedesk tests/CN=ws relay', altNames: ['IP:127.0.0.1'] });
    const port = await freePort();
    const tlsRelay = spawnGroup(websockify, ['--ssl-only', '--cert', cert.certFile, '--key', cert.keyFile, `127.0.0.1:${port}`, `127.0.0.1:${xs.port}`], {
      name: 'websockify --ssl-only',
    });
    try {
      await waitUntil(`port ${port} to accept connections`, () => tcpAccepts(port), 10_000).catch(() => undefined);
      expect(await tcpAccepts(port), tlsRelay.outputTail()).toBe(true);
      expectSame('wss', direct, await capture('wss', `wss://127.0.0.1:${port}/`, { NODE_EXTRA_CA_CERTS: ca.certFile }));
      const r = await runCli(['capture', `wss://127.0.0.1:${port}/`, '-o', join(dir, 'untrusted.png'), '--timeout', '10']);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(new RegExp(`the certificate of wss://127\\.0\\.0\\.1:${port} is not signed by a trusted CA \\(the system CA store\\)`));
      // --spice-ca-file: the same CA from a file.
      const out = join(dir, 'wss-ca-file.png');
      const withFile = await runCli(['capture', `wss://127.0.0.1:${port}/`, '-o', out, '--timeout', '10', '--spice-ca-file', ca.certFile]);
      expect(withFile.stderr).toBe('');
      expect(withFile.code).toBe(0);
      expectSame('wss-ca-file', direct, readPng(out));
      // A CA file that did not sign the relay's certificate, and a host name it does not carry.
      const stranger = workshop.createCa('ws-stranger-ca');
      const wrongCa = await runCli(['info', `wss://127.0.0.1:${port}/`, '--timeout', '10', '--spice-ca-file', stranger.certFile]);
      expect(wrongCa.code).toBe(5);
      expect(wrongCa.stderr).toMatch(/is not signed by a trusted CA \(CA from ".*ws-stranger-ca-cert\.pem"\)/);
      const wrongName = await runCli(['info', `wss://localhost:${port}/`, '--timeout', '10', '--spice-ca-file', ca.certFile]);
      expect(wrongName.code).toBe(5);
      expect(wrongName.stderr).toMatch(new RegExp(`the certificate of wss://localhost:${port} is not for the host name "localhost": it names IP:127\\.0\\.0\\.1`));
    } finally {
      await tlsRelay.stop();
    }
  });

  it('a port with no WebSocket server is unreachable (exit 3) with a message naming it', async () => {
    const nothing = await freePort();
    const r = await runCli(['capture', `ws://127.0.0.1:${nothing}/`, '-o', join(dir, 'none.png'), '--timeout', '5']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`ws://127\\.0\\.0\\.1:${nothing} refused the connection`));
  });
});
