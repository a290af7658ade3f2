// Chooses how each channel reaches the server from a connection profile: TCP, a Unix socket, an
// HTTP CONNECT proxy tunnel or a WebSocket.
import type { ConnectionProfile } from '../../protocol/profile/index.ts';
import { parseHostSubject } from '../transport/tls-verify.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import type { Connector } from '../../protocol/wire/transport.ts';
import { describeProxy, openProxyTunnel, openViaProxy, proxyForProfile } from '../transport/http-proxy.ts';
import { describeAddress, openSocket, type SocketAddress } from '../transport/socket-transport.ts';
import { channelTypeName } from '../../protocol/link/constants.ts';
import { openTls } from '../transport/tls-transport.ts';
import { describeWebSocketUrl } from '../transport/websocket-url.ts';
import { combineTrust, type CaFile } from '../transport/tls-ca-file.ts';
import { checkClientVersion } from './version-check.ts';
import type { Logger } from '../../protocol/logger.ts';

export interface ConnectPlan {
  connector: Connector;
  where: string;
}

export interface PlanOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** --spice-ca-file (or spice-gtk's default trust store), trusted together with the profile's ca. */
  caFile?: CaFile;
  logger?: Logger;
  /** This build's version, for the .vv `versions` gate; tests set it. */
  clientVersion?: string;
}

/**
 * How to reach the server the profile names. Throws, before anything connects, when the profile
 * cannot be used: a .vv that asks for a newer spicedesk, a host-subject that cannot be read.
 */
export function planConnection(profile: ConnectionProfile, opts: PlanOptions): ConnectPlan {
  const env = opts.env ?? process.env;
  checkClientVersion(profile, { version: opts.clientVersion, logger: opts.logger });
  const proxy = proxyForProfile(profile, env);
  const trust = combineTrust(profile.ca, opts.caFile);
  if (profile.webSocketUrl) {
    if (proxy) throw new SpiceError('usage', 'ws:// and wss:// connections do not go through a proxy yet; unset SPICE_PROXY');
    const url = profile.webSocketUrl;
    const tls = { ca: trust.ca, caSource: trust.source };
    // Loaded only for ws:// targets: the WebSocket library is not needed by anything else here.
    return {
      where: describeWebSocketUrl(url),
      connector: async () => (await import('../transport/websocket-transport.ts')).openWebSocket(url, opts.timeoutMs, tls),
    };
  }
  if (profile.unixPath) {
    const address: SocketAddress = { path: profile.unixPath };
    return { where: describeAddress(address), connector: () => openSocket(address, opts.timeoutMs) };
  }
  const host = profile.host;
  const plainPort = profile.tlsOnly ? undefined : profile.port;
  const tlsPort = profile.tlsPort;
  if (!host || (plainPort === undefined && tlsPort === undefined)) {
    throw new SpiceError('usage', 'the connection profile names no port to connect to');
  }
  // A host-subject that cannot be read is refused now, before anything connects.
  if (profile.hostSubject !== undefined) parseHostSubject(profile.hostSubject);
  const plainWhere = plainPort !== undefined ? describeAddress({ host, port: plainPort }) : undefined;
  const tlsWhere = tlsPort !== undefined ? `${describeAddress({ host, port: tlsPort })} (TLS)` : undefined;
  const secure = new Set(profile.secureChannels);
  // tls=false is the profile's choice for the channel: plain unless the profile wants TLS for it
  // (secure-channels, spice+tls, no plain port). tls=true is the server's NEED_SECURED answer.
  const wantsTls = (channelType: number): boolean =>
    plainPort === undefined || secure.has('all') || secure.has(channelTypeName(channelType));
  const where = plainWhere ?? tlsWhere ?? host;
  return {
    where: proxy ? `${where} via ${describeProxy(proxy)}` : where,
    connector: async ({ channelType, tls, unsecured }) => {
      const name = channelTypeName(channelType);
      // NEED_UNSECURED came over a verified TLS connection, so it is the real server's choice;
      // secure-channels only picks the port to try first (as in spice-gtk). spice+tls:// is the
      // user's demand for TLS everywhere, and is never given up.
      if (unsecured) {
        if (profile.tlsOnly) {
          throw new SpiceError('tls', `the server refuses TLS for the ${name} channel (NEED_UNSECURED), but a spice+tls:// target allows TLS only; connect with spice://HOST?port=N&tls-port=M to allow a plain ${name} channel`);
        }
        if (plainPort === undefined) {
          throw new SpiceError('tls', `the server refuses TLS for the ${name} channel (NEED_UNSECURED), but the profile has no plain port to send it to`);
        }
        opts.logger?.warn({ channel: name }, `the server refuses TLS for the ${name} channel; it goes unencrypted to the plain port`);
      }
      if (!unsecured && (tls || wantsTls(channelType))) {
        if (tlsPort === undefined) {
          throw new SpiceError('tls', `the server requires TLS for the ${name} channel, but the profile has no tls-port`);
        }
        const target = { host, port: tlsPort };
        const settings = { ca: trust.ca, caSource: trust.source, hostSubject: profile.hostSubject, ciphers: profile.tlsCiphers };
        if (!proxy) return openTls(target, settings, opts.timeoutMs);
        const socket = await openProxyTunnel(proxy, target, opts.timeoutMs);
        return openTls(target, settings, opts.timeoutMs, { socket, via: describeProxy(proxy) });
      }
      const target = { host, port: plainPort as number };
      return proxy ? openViaProxy(proxy, target, opts.timeoutMs) : openSocket(target, opts.timeoutMs);
    },
  };
}
