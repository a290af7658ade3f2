// TLS transport for SPICE channels: TLS 1.2 or newer from the first byte on the server's tls-port,
// trust from the profile's CA (or the system store), identity by host-subject or host name
// (tls-verify.ts). There is deliberately no way to connect to a server that fails these checks.
import type { ConnectionOptions, PeerCertificate, TLSSocket } from 'node:tls';
import { isIP, type Socket } from 'node:net';
import { SpiceError } from '../../protocol/wire/errors.ts';
import type { Transport } from '../../protocol/wire/transport.ts';
import { SocketTransport } from './socket-transport.ts';
import { explainTlsError, parseHostSubject, verifyServerIdentity } from './tls-verify.ts';

export interface TlsSettings {
  /** PEM text of the CA certificates to trust; without it, the system store. */
  ca?: string;
  /** Where `ca` came from, for messages (".vv ca", a file name). */
  caSource?: string;
  /** Exact subject the server certificate must carry; replaces the host-name check. */
  hostSubject?: string;
  /** OpenSSL cipher list (the .vv tls-ciphers). */
  ciphers?: string;
}

/** Options for node:tls from the settings; exported for the unit tests. */
export function tlsConnectionOptions(host: string, port: number, settings: TlsSettings, where: string): ConnectionOptions {
  // A malformed host-subject is the user's mistake; say so before touching the network.
  if (settings.hostSubject !== undefined) parseHostSubject(settings.hostSubject);
  return {
    host,
    port,
    // SNI takes names only.
    servername: isIP(host) ? undefined : host,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    ...(settings.ca !== undefined ? { ca: settings.ca } : {}),
    ...(settings.ciphers !== undefined ? { ciphers: settings.ciphers } : {}),
    checkServerIdentity: (name: string, cert: PeerCertificate) => verifyServerIdentity(name, cert, { hostSubject: settings.hostSubject, where }),
  };
}

/**
 * Opens a TLS connection and completes the handshake and the identity check; over `tunnel` (an
 * HTTP CONNECT tunnel already open to the server) when given, described as `via`.
 */
export function openTls(
  address: { host: string; port: number },
  settings: TlsSettings,
  timeoutMs: number,
  tunnel?: { socket: Socket; via: string },
): Promise<Transport> {
  const where = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port} (TLS)${tunnel ? ` via ${tunnel.via}` : ''}`;
  const trust = settings.ca !== undefined ? `CA from ${settings.caSource ?? 'the profile'}` : 'the system CA store';
  let options: ConnectionOptions;
  try {
    options = tlsConnectionOptions(address.host, address.port, settings, where);
  } catch (e) {
    return Promise.reject(e as Error);
  }
  return new Promise((resolve, reject) => {
    let socket: TLSSocket;
    try {
      // node:tls loaded only when used: plain connections do not pay for it at start-up.
      socket = process.getBuiltinModule('node:tls').connect(tunnel ? { ...options, socket: tunnel.socket } : options);
    } catch (e) {
      // Bad PEM text or an unknown cipher list are refused before connecting.
      reject(new SpiceError('tls', `cannot set up TLS to ${where}: ${(e as Error).message}; check the CA and tls-ciphers`, { cause: e }));
      return;
    }
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SpiceError('unreachable', `connecting to ${where} timed out after ${Math.round(timeoutMs / 1000)} s; check the host, the TLS port and any firewall`));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(new SocketTransport(socket, where, 'TLS connection'));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      if (err instanceof SpiceError) reject(err);
      else if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT'].includes(err.code ?? '')) {
        reject(new SpiceError('unreachable', `cannot connect to ${where}: ${err.message}; is the SPICE server listening on that TLS port?`, { cause: err }));
      } else reject(explainTlsError(err, where, trust));
    });
  });
}
