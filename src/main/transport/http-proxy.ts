// HTTP CONNECT tunnels through an http:// or https:// proxy (the .vv `proxy` key or SPICE_PROXY).
// The SPICE link (or TLS to the SPICE server) then runs over the returned socket as if it were a
// direct connection. Messages name the proxy by host and port only: its URL may hold a password.
import { connect, type Socket } from 'node:net';
import { parseProxyUrl, type ConnectionProfile, type ProxyUrl } from '../../protocol/profile/index.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import type { Transport } from '../../protocol/wire/transport.ts';
import { SocketTransport } from './socket-transport.ts';

export interface TunnelTarget {
  host: string;
  port: number;
}

/** A proxy's reply header larger than this is not an HTTP proxy talking. */
const MAX_REPLY_HEADER_BYTES = 16 * 1024;

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function describeProxy(proxy: ProxyUrl): string {
  return `${proxy.scheme}://${hostPort(proxy.host, proxy.port)}`;
}

/** The CONNECT request; Basic credentials when the proxy URL has a user name. */
export function connectRequest(proxy: ProxyUrl, target: TunnelTarget): string {
  const authority = hostPort(target.host, target.port);
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (proxy.username !== undefined) {
    const token = Buffer.from(`${proxy.username}:${proxy.password ?? ''}`, 'utf8').toString('base64');
    lines.push(`Proxy-Authorization: Basic ${token}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

export interface ProxyReply {
  status: number;
  reason: string;
}

/** Reads the status line of the proxy's reply header (the header ends before this is called). */
export function parseProxyReply(header: string): ProxyReply | undefined {
  const m = /^HTTP\/1\.[01] ([0-9]{3})(?: ([^\r\n]*))?\r?\n/.exec(header);
  if (!m) return undefined;
  return { status: Number(m[1]), reason: (m[2] ?? '').trim() };
}

/** Why the proxy did not open the tunnel, worded for the person who set up the connection. */
export function explainRefusal(reply: ProxyReply, proxy: ProxyUrl, target: TunnelTarget): string {
  const via = `the proxy ${describeProxy(proxy)}`;
  const to = hostPort(target.host, target.port);
  const said = `${reply.status}${reply.reason ? ` ${reply.reason}` : ''}`;
  switch (reply.status) {
    case 401: // tinyproxy's answer to wrong credentials
    case 407:
      return proxy.username === undefined
        ? `${via} requires authentication (${said}); put the user name and password into the proxy URL, as in http://user:password@proxy:3128`
        : `${via} rejected the proxy user name or password (${said}); check the credentials in the proxy URL`;
    case 403:
      return `${via} does not allow a connection to ${to} (${said}); its access rules must allow this client and CONNECT to port ${target.port}`;
    case 500: // tinyproxy's "Unable to connect"
    case 502:
    case 503:
    case 504:
      return `${via} could not reach the SPICE server ${to} (${said}); is the server running, and can the proxy reach it?`;
    case 400:
    case 405:
    case 501:
      return `${via} does not accept CONNECT requests (${said}); is it an HTTP proxy?`;
    default:
      return `${via} refused to open a tunnel to ${to} (${said})`;
  }
}

function proxySocket(proxy: ProxyUrl): Socket {
  if (proxy.scheme === 'https') {
    const servername = proxy.host.includes(':') || /^[0-9.]+$/.test(proxy.host) ? undefined : proxy.host;
    // node:tls loaded only when used: plain connections do not pay for it at start-up.
    return process.getBuiltinModule('node:tls').connect({ host: proxy.host, port: proxy.port, servername, minVersion: 'TLSv1.2' });
  }
  return connect({ host: proxy.host, port: proxy.port });
}

function explainProxySocketError(err: NodeJS.ErrnoException, proxy: ProxyUrl): SpiceError {
  const where = describeProxy(proxy);
  if (isTlsFailure(err)) {
    return new SpiceError('tls', `TLS to the proxy ${where} failed: ${err.message}`, { cause: err });
  }
  switch (err.code) {
    case 'ECONNREFUSED':
      return new SpiceError('unreachable', `the proxy ${where} refused the connection: is the proxy running on that port?`, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SpiceError('unreachable', `cannot resolve the host name of the proxy ${where}`, { cause: err });
    case 'ECONNRESET':
      return new SpiceError('unreachable', `the proxy ${where} closed the connection before opening the tunnel`, { cause: err });
    default:
      return new SpiceError('unreachable', `cannot connect to the proxy ${where}: ${err.message}`, { cause: err });
  }
}

/**
 * Connects to the proxy, asks it for a tunnel to `target` and resolves with the socket once the
 * proxy said yes; bytes the proxy sent after its reply stay in the socket for the next reader.
 */
export function openProxyTunnel(proxy: ProxyUrl, target: TunnelTarget, timeoutMs: number): Promise<Socket> {
  // The tunnel is the first stage of a link bounded by the same time limit; giving up a little
  // earlier lets the user read that the proxy was the one that hung.
  const answerWithinMs = Math.max(500, Math.floor(timeoutMs * 0.75));
  return new Promise((resolve, reject) => {
    const socket = proxySocket(proxy);
    socket.setNoDelay(true);
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (error: SpiceError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (error) {
        socket.destroy();
        reject(error);
      } else {
        resolve(socket);
      }
    };
    const timer = setTimeout(() => {
      settle(
        new SpiceError(
          'unreachable',
          `the proxy ${describeProxy(proxy)} did not open a tunnel to ${hostPort(target.host, target.port)} within ${(answerWithinMs / 1000).toFixed(1)} s`,
        ),
      );
    }, answerWithinMs);
    const onError = (err: NodeJS.ErrnoException): void => settle(explainProxySocketError(err, proxy));
    const onClose = (): void =>
      settle(new SpiceError('unreachable', `the proxy ${describeProxy(proxy)} closed the connection without answering the CONNECT request`));
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) {
        if (received.length > MAX_REPLY_HEADER_BYTES) {
          settle(new SpiceError('unreachable', `the proxy ${describeProxy(proxy)} sent a reply header over ${MAX_REPLY_HEADER_BYTES} bytes; is it an HTTP proxy?`));
        }
        return;
      }
      const reply = parseProxyReply(received.subarray(0, end + 4).toString('latin1'));
      if (!reply) {
        settle(new SpiceError('unreachable', `the proxy ${describeProxy(proxy)} did not answer like an HTTP proxy; check the proxy URL`));
        return;
      }
      if (reply.status < 200 || reply.status > 299) {
        settle(new SpiceError('unreachable', explainRefusal(reply, proxy, target)));
        return;
      }
      const rest = received.subarray(end + 4);
      socket.pause();
      if (rest.length > 0) socket.unshift(rest);
      settle(undefined);
    };
    socket.once(proxy.scheme === 'https' ? 'secureConnect' : 'connect', () => socket.write(connectRequest(proxy, target)));
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}

/** The transport for one channel through the proxy. */
export async function openViaProxy(proxy: ProxyUrl, target: TunnelTarget, timeoutMs: number): Promise<Transport> {
  const socket = await openProxyTunnel(proxy, target, timeoutMs);
  return new SocketTransport(socket, `${hostPort(target.host, target.port)} via ${describeProxy(proxy)}`);
}

/** The proxy for a profile: its own, else SPICE_PROXY (never for Unix sockets), validated. */
export function proxyForProfile(profile: ConnectionProfile, env: NodeJS.ProcessEnv): ProxyUrl | undefined {
  const text = profile.proxy ?? (profile.unixPath === undefined ? env.SPICE_PROXY : undefined);
  if (text === undefined || text.trim() === '') return undefined;
  const checked = parseProxyUrl(text);
  if (!checked.ok) throw new SpiceError('usage', `the proxy URL ${checked.problem}`);
  return checked.value;
}

/** OpenSSL's verification codes (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED, ...) and Node's TLS errors. */
function isTlsFailure(err: NodeJS.ErrnoException): boolean {
  return typeof err.code === 'string' && /^ERR_(TLS|SSL)|CERT|SIGNATURE|ISSUER|SELF_SIGNED|ALTNAME/.test(err.code);
}
