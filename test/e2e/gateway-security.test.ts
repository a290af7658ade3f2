// `spicedesk serve` as seen by anyone who can reach its port: nothing without the token (page,
// files, WebSocket), nothing outside its own files, no target it was not started with, loopback
// by default, and a malformed bridge message ends that page only.
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { HostMessage } from '../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../src/protocol/bridge/kinds.ts';
import { Limits } from '../../src/protocol/bridge/limits.ts';
import { decodeHostPacket } from '../../src/protocol/bridge/host-codec.ts';
import { encodeUiMessage } from '../../src/protocol/bridge/ui-codec.ts';
import { runCli } from '../helpers/cli.ts';
import { freePort } from '../peers/free-port.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET with the path sent exactly as written (fetch would normalise the dot segments away). */
function get(origin: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const u = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface WsOutcome {
  /** HTTP status when the upgrade was refused. */
  refused?: number;
  messages: HostMessage[];
  closeCode?: number;
  closeReason?: string;
}

/** Opens the bridge socket, sends `send` after the host's HELLO, collects everything until close. */
function bridge(url: string, options: { origin?: string; send?: (Uint8Array | string)[]; host?: string; timeoutMs?: number } = {}): Promise<WsOutcome> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = options.host ? { Host: options.host } : {};
    const ws = new WebSocket(url, { origin: options.origin, headers });
    const outcome: WsOutcome = { messages: [] };
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(outcome);
    }, options.timeoutMs ?? 5000);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      outcome.refused = res.statusCode;
      res.resume();
      ws.terminate();
      resolve(outcome);
    });
    ws.on('message', (data: Buffer) => {
      for (const m of decodeHostPacket(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))) {
        outcome.messages.push(m);
        if (m.kind === 'hello') for (const s of options.send ?? []) ws.send(s);
      }
    });
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      outcome.closeCode = code;
      outcome.closeReason = reason.toString('utf8');
      resolve(outcome);
    });
    ws.on('error', (e) => {
      if (outcome.refused === undefined && outcome.closeCode === undefined) reject(e);
    });
  });
}

const statuses = (o: WsOutcome) => o.messages.flatMap((m) => (m.kind === 'status' ? [m.status] : []));

describe('spicedesk serve without a SPICE server behind it', () => {
  let serve: ServeProcess;
  let wsUrl: string;
  let unusedPort: number;
  beforeAll(async () => {
    // Nothing listens there: the session to target 0 must fail as unreachable.
    unusedPort = await freePort();
    serve = await startServe([`spice://127.0.0.1:${unusedPort}`, `spice://127.0.0.1:${unusedPort}?password=hunter2`]);
    wsUrl = `${serve.url.replace(/^http/, 'ws')}ws`;
  });
  afterAll(() => serve?.stop());

  it('prints the URL first, on loopback, with a token of at least 128 random bits', async () => {
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]+\/$/);
    // base64url: 6 bits per character.
    expect(serve.token.length * 6).toBeGreaterThanOrEqual(128);
    const other = await startServe([`spice://127.0.0.1:${unusedPort}`]);
    try {
      expect(other.token).not.toBe(serve.token);
    } finally {
      await other.stop();
    }
    // The listing of targets never shows a password.
    expect(serve.stdout()).toMatch(/^target 1: spice:\/\/127\.0\.0\.1:\d+\?password=\*\*\*/m);
    expect(serve.stdout()).not.toContain('hunter2');
  });

  it('answers nothing but 401/403 without the right token: page, files, anything', async () => {
    const wrong = 'A'.repeat(serve.token.length);
    const nearly = serve.token.slice(0, -1) + (serve.token.endsWith('A') ? 'B' : 'A');
    for (const path of ['/', '/index.html', '/main.js', '/decode-worker.js', '/ws', '/favicon.ico', '//', '/?token=' + serve.token]) {
      const r = await get(serve.origin, path);
      expect([401, 403], path).toContain(r.status);
      expect(r.body).not.toContain('<script');
    }
    for (const token of [wrong, nearly, serve.token.toUpperCase(), serve.token + 'x', encodeURIComponent(serve.token) + '%00']) {
      for (const file of ['', 'index.html', 'main.js', 'style.css']) {
        const r = await get(serve.origin, `/${token}/${file}`);
        expect(r.status, `/${token}/${file}`).toBe(403);
      }
    }
  });

  it('serves the page and its files with the token, with a strict Content-Security-Policy', async () => {
    const page = await get(serve.origin, `/${serve.token}/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<script type="module" src="main.js"></script>');
    // No inline script for the CSP to have to allow.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval';/);
    expect(csp).not.toMatch(/'unsafe-eval'/);
    // Inline only for <style> elements (xterm.js, the serial console): no inline script or style attribute.
    expect(csp.split('; ').filter((d) => d.includes("'unsafe-inline'"))).toEqual(["style-src-elem 'self' 'unsafe-inline'"]);
    expect(csp).toMatch(/style-src 'self';/);
    expect(csp).toContain(`connect-src 'self' ws://${new URL(serve.origin).host}`);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const js = await get(serve.origin, `/${serve.token}/main.js`);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get(serve.origin, `/${serve.token}/decode-worker.js`)).status).toBe(200);
    const bare = await get(serve.origin, `/${serve.token}`);
    expect(bare.status).toBe(308);
    expect(bare.headers.location).toBe(`/${serve.token}/`);
  });

  it('serves only its own files: no traversal, no listing, nothing else from dist', async () => {
    const t = serve.token;
    const attempts = [
      `/${t}/../package.json`,
      `/${t}/../../package.json`,
      `/${t}/%2e%2e/package.json`,
      `/${t}/%2e%2e%2fpackage.json`,
      `/${t}/..%2f..%2fetc%2fpasswd`,
      `/${t}/....//....//etc/passwd`,
      `/${t}/../cli.cjs`,
      `/${t}/%2E%2E/cli.cjs`,
      `/${t}/renderer/index.html`,
      `/${t}/./index.html`,
      `/${t}//etc/passwd`,
      `/${t}/\\..\\package.json`,
      `/${t}/index.html%00.js`,
      `/${t}/cli.cjs`,
      `/${t}/.`,
      `/${t}/..`,
      `/${t}/dist/`,
    ];
    for (const path of attempts) {
      const r = await get(serve.origin, path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toMatch(/"name": "spicedesk"|root:|cli\.cjs|decode-worker/);
    }
    // POST and friends are refused even with the token.
    const post = await new Promise<number>((resolve, reject) => {
      const u = new URL(serve.origin);
      const req = request({ host: u.hostname, port: u.port, path: `/${t}/`, method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('x');
    });
    expect(post).toBe(405);
  });

  it('refuses a Host header that is not its own (DNS rebinding)', async () => {
    const port = new URL(serve.origin).port;
    expect((await get(serve.origin, `/${serve.token}/`, { Host: `evil.example:${port}` })).status).toBe(403);
    expect((await get(serve.origin, `/${serve.token}/`, { Host: `localhost:${port}` })).status).toBe(200);
    expect((await bridge(wsUrl, { host: `evil.example:${port}` })).refused).toBe(403);
  });

  it('refuses the WebSocket upgrade without the token, with a wrong one, and from another origin', async () => {
    expect((await bridge(`${serve.origin.replace(/^http/, 'ws')}/`)).refused).toBe(401);
    expect((await bridge(`${serve.origin.replace(/^http/, 'ws')}/ws`)).refused).toBe(403);
    expect((await bridge(`${serve.origin.replace(/^http/, 'ws')}/${'B'.repeat(serve.token.length)}/ws`)).refused).toBe(403);
    expect((await bridge(wsUrl, { origin: 'http://evil.example' })).refused).toBe(403);
    const ok = await bridge(wsUrl, { origin: serve.origin, timeoutMs: 300 });
    expect(ok.refused).toBeUndefined();
    expect(ok.messages[0]).toEqual({ kind: 'hello', version: BRIDGE_VERSION });
  });

  it('refuses a target it was not started with, and connects only to its own', async () => {
    for (const target of [2, 7, 0xffff]) {
      const o = await bridge(wsUrl, { send: [encodeUiMessage({ kind: 'hello', version: BRIDGE_VERSION, target })] });
      expect(statuses(o)).toEqual([{ state: 'error', errorKind: 'usage', message: `target ${target} was not given to spicedesk serve; it serves targets 0 to 1 only` }]);
      expect(o.closeCode).toBe(1008);
    }
    // Target 0 is tried (and nothing listens there).
    const o = await bridge(wsUrl, { send: [encodeUiMessage({ kind: 'hello', version: BRIDGE_VERSION, target: 0 })] });
    const s = statuses(o);
    expect(s[0]).toEqual({ state: 'connecting', where: `127.0.0.1:${unusedPort}` });
    expect(s[1]).toMatchObject({ state: 'error', errorKind: 'unreachable' });
  });

  it('ends a page that sends malformed or unexpected messages, and goes on serving', async () => {
    const cases: { send: (Uint8Array | string)[]; reason: RegExp }[] = [
      { send: ['hello as text'], reason: /binary messages only/ },
      { send: [new Uint8Array([0x82, 0x1e, 0, 0, 0])], reason: /the first message must be HELLO, not key-down/ },
      { send: [new Uint8Array([0x81, 1, 2])], reason: /HELLO: magic needs 4 bytes/ },
      { send: [encodeUiMessage({ kind: 'hello', version: BRIDGE_VERSION + 1, target: 0 })], reason: /reload the page/ },
      { send: [new Uint8Array([0xee])], reason: /unknown kind 0xee/ },
      { send: [new Uint8Array(0)], reason: /no kind byte/ },
    ];
    for (const c of cases) {
      const o = await bridge(wsUrl, { send: c.send });
      const s = statuses(o);
      expect(s).toHaveLength(1);
      expect(s[0]).toMatchObject({ state: 'error', errorKind: 'protocol' });
      expect(s[0].state === 'error' && s[0].message).toMatch(c.reason);
      expect(o.closeCode).toBe(1008);
    }
    // Bigger than any bridge message: the socket layer refuses it before the decoder sees it.
    const huge = await bridge(wsUrl, { send: [new Uint8Array(Limits.maxUiMessageBytes + 1)] });
    expect(huge.closeCode).toBe(1009);
    expect(serve.process.running()).toBe(true);
    expect((await get(serve.origin, `/${serve.token}/`)).status).toBe(200);
  });

  it('does not listen on other interfaces by default', async () => {
    const port = Number(new URL(serve.origin).port);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!external) return; // a machine with loopback only: nothing else to try
    await expect(get(`http://${external.address}:${port}`, `/${serve.token}/`)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('spicedesk serve on the command line', () => {
  it('listens where --listen says', async () => {
    const port = await freePort();
    const serve = await startServe(['--listen', `127.0.0.1:${port}`, 'spice://127.0.0.1:1']);
    try {
      expect(serve.origin).toBe(`http://127.0.0.1:${port}`);
    } finally {
      await serve.stop();
    }
  });

  it('needs a target and a well-formed --listen', async () => {
    const none = await runCli(['serve']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/serve needs at least one TARGET/);
    const bad = await runCli(['serve', '--listen', 'nowhere:port', 'spice://127.0.0.1:1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--listen must be HOST:PORT/);
    // A TLS target whose host-subject cannot be read is refused before the URL is printed.
    const tls = await runCli(['serve', '-'], { stdin: '[virt-viewer]\ntype=spice\nhost=127.0.0.1\ntls-port=5901\nhost-subject=CN=\n' });
    expect(tls.code).toBe(5);
    expect(tls.stdout).toBe('');
  });
});
