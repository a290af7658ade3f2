import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProxyUrl } from '../../../../src/protocol/profile/index.ts';
import { emptyProfile } from '../../../../src/protocol/profile/index.ts';
import {
  connectRequest,
  explainRefusal,
  openProxyTunnel,
  openViaProxy,
  parseProxyReply,
  proxyForProfile,
} from '../../../../src/main/transport/http-proxy.ts';
import { isSpiceError } from '../../../../src/protocol/wire/errors.ts';
import { waitUntil } from '../../../helpers/wait.ts';

const target = { host: 'spice.example', port: 5900 };

describe('connectRequest', () => {
  it('asks for the target, with no credentials when the URL has none', () => {
    expect(connectRequest({ scheme: 'http', host: 'p', port: 3128 }, target)).toBe('CONNECT spice.example:5900 HTTP/1.1\r\nHost: spice.example:5900\r\n\r\n');
  });
  it('brackets IPv6 targets and sends Basic credentials (RFC 7617 example)', () => {
    const text = connectRequest({ scheme: 'http', host: 'p', port: 3128, username: 'Aladdin', password: 'open sesame' }, { host: '::1', port: 5930 });
    expect(text.split('\r\n')).toEqual(['CONNECT [::1]:5930 HTTP/1.1', 'Host: [::1]:5930', 'Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==', '', '']);
  });
  it('a user name with no password sends an empty password', () => {
    expect(connectRequest({ scheme: 'http', host: 'p', port: 1, username: 'u' }, target)).toContain('Proxy-Authorization: Basic dTo=\r\n');
  });
});

describe('parseProxyReply and explainRefusal', () => {
  const proxy: ProxyUrl = { scheme: 'http', host: 'proxy.lan', port: 3128 };
  it('reads the status line', () => {
    expect(parseProxyReply('HTTP/1.0 200 Connection established\r\n\r\n')).toEqual({ status: 200, reason: 'Connection established' });
    expect(parseProxyReply('HTTP/1.1 407\r\n\r\n')).toEqual({ status: 407, reason: '' });
    expect(parseProxyReply('SSH-2.0-OpenSSH\r\n\r\n')).toBeUndefined();
  });
  it('each refusal has its own message', () => {
    const m = (status: number, p: ProxyUrl = proxy) => explainRefusal({ status, reason: 'X' }, p, target);
    expect(m(407)).toMatch(/^the proxy http:\/\/proxy\.lan:3128 requires authentication \(407 X\); put the user name and password/);
    expect(m(407, { ...proxy, username: 'u', password: 'pw' })).toMatch(/rejected the proxy user name or password \(407 X\)/);
    expect(m(403)).toMatch(/does not allow a connection to spice\.example:5900 \(403 X\).*CONNECT to port 5900/);
    expect(m(502)).toMatch(/could not reach the SPICE server spice\.example:5900 \(502 X\)/);
    expect(m(405)).toMatch(/does not accept CONNECT requests/);
    expect(m(418)).toBe('the proxy http://proxy.lan:3128 refused to open a tunnel to spice.example:5900 (418 X)');
  });
  it('never quotes the password', () => {
    for (const status of [401, 403, 407, 500, 502, 418]) {
      expect(explainRefusal({ status, reason: '' }, { ...proxy, username: 'u', password: 'hunter2' }, target)).not.toContain('hunter2');
    }
  });
});

describe('proxyForProfile', () => {
  it('takes the profile proxy first, SPICE_PROXY else, never for Unix sockets', () => {
    const p = emptyProfile('vv');
    expect(proxyForProfile(p, {})).toBeUndefined();
    expect(proxyForProfile(p, { SPICE_PROXY: 'https://h' })).toEqual({ scheme: 'https', host: 'h', port: 3129 });
    p.proxy = 'u:pw@q:8080';
    expect(proxyForProfile(p, { SPICE_PROXY: 'https://h' })).toEqual({ scheme: 'http', host: 'q', port: 8080, username: 'u', password: 'pw' });
    const unix = emptyProfile('uri');
    unix.unixPath = '/run/s';
    expect(proxyForProfile(unix, { SPICE_PROXY: 'http://h' })).toBeUndefined();
  });
  it('a broken proxy URL is a usage error that does not quote it', () => {
    const p = emptyProfile('uri');
    try {
      proxyForProfile(p, { SPICE_PROXY: 'socks5://u:secret@h' });
      expect.unreachable();
    } catch (e) {
      expect(isSpiceError(e) && e.kind).toBe('usage');
      expect((e as Error).message).not.toContain('secret');
    }
  });
});

describe('openProxyTunnel against a scripted proxy', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const s of sockets) s.destroy();
    sockets.length = 0;
    server?.close();
    server = undefined;
  });

  /** A proxy that records the request and answers `reply` once the request header is complete. */
  async function scriptedProxy(reply: string | null): Promise<{ proxy: ProxyUrl; requests: string[] }> {
    const requests: string[] = [];
    server = createServer((s) => {
      sockets.push(s);
      let text = '';
      s.on('data', (d) => {
        text += d.toString('latin1');
        if (text.includes('\r\n\r\n') && reply !== null) {
          requests.push(text);
          s.write(reply);
          text = '';
        }
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { proxy: { scheme: 'http', host: '127.0.0.1', port: (server!.address() as { port: number }).port }, requests };
  }

  it('resolves after 200 and keeps the bytes that followed the reply header', async () => {
    const { proxy, requests } = await scriptedProxy('HTTP/1.1 200 OK\r\nX-A: b\r\n\r\nREDQ');
    const transport = await openViaProxy(proxy, target, 2000);
    const got: Uint8Array[] = [];
    transport.start({ data: (c) => got.push(c), end: () => {} });
    await waitUntil('the bytes after the reply header', () => Buffer.concat(got).byteLength >= 4, 5000);
    expect(Buffer.concat(got).toString('latin1')).toBe('REDQ');
    expect(requests[0]).toBe('CONNECT spice.example:5900 HTTP/1.1\r\nHost: spice.example:5900\r\n\r\n');
    expect(transport.description).toBe(`spice.example:5900 via http://127.0.0.1:${proxy.port}`);
    transport.close();
  });

  it('a 407 becomes an unreachable error with the authentication message', async () => {
    const { proxy } = await scriptedProxy('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
    await expect(openProxyTunnel(proxy, target, 2000)).rejects.toMatchObject({ kind: 'unreachable', message: expect.stringMatching(/requires authentication \(407/) });
  });

  it('a proxy that closes without answering, one that answers garbage, one that never answers', async () => {
    const closing = createServer((s) => s.destroy());
    await new Promise<void>((r) => closing.listen(0, '127.0.0.1', r));
    const closingPort = (closing.address() as { port: number }).port;
    await expect(openProxyTunnel({ scheme: 'http', host: '127.0.0.1', port: closingPort }, target, 2000)).rejects.toThrow(
      /closed the connection|closed the connection without answering/,
    );
    closing.close();

    const garbage = await scriptedProxy('SSH-2.0-OpenSSH_9\r\n\r\n');
    await expect(openProxyTunnel(garbage.proxy, target, 2000)).rejects.toThrow(/did not answer like an HTTP proxy/);
    server?.close();

    const silent = await scriptedProxy(null);
    await expect(openProxyTunnel(silent.proxy, target, 800)).rejects.toThrow(/did not open a tunnel to spice\.example:5900 within 0\.6 s/);
  });

  it('a refused proxy port names the proxy', async () => {
    const { proxy } = await scriptedProxy(null);
    // Closed, and no longer listening, once close() calls back.
    await new Promise((r) => server!.close(r));
    server = undefined;
    await expect(openProxyTunnel(proxy, target, 2000)).rejects.toThrow(/the proxy http:\/\/127\.0\.0\.1:\d+ refused the connection/);
  });
});
