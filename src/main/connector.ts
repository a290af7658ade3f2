// Chooses how each channel reaches the server from a connection profile. TLS, proxies and
// WebSockets come with the connection issue; until then they are refused with a clear message.
import type { ConnectionProfile } from '../protocol/profile/index.ts';
import { SpiceError } from '../protocol/wire/errors.ts';
import type { Connector } from '../protocol/wire/transport.ts';
import { describeAddress, openSocket, type SocketAddress } from './transport/socket-transport.ts';

export interface ConnectPlan {
  connector: Connector;
  where: string;
}

export function planConnection(profile: ConnectionProfile, opts: { timeoutMs: number; env?: NodeJS.ProcessEnv }): ConnectPlan {
  const env = opts.env ?? process.env;
  if (profile.proxy || env.SPICE_PROXY) {
    throw new SpiceError('unreachable', 'connecting through a proxy is not supported yet (SPICE_PROXY or the .vv "proxy" key); connect directly');
  }
  let address: SocketAddress;
  if (profile.unixPath) {
    address = { path: profile.unixPath };
  } else if (profile.host && profile.port && !profile.tlsOnly) {
    address = { host: profile.host, port: profile.port };
  } else if (profile.tlsPort || profile.tlsOnly) {
    throw new SpiceError('tls', 'TLS connections are not supported yet; give the server\'s plain port (port=N) if it has one');
  } else {
    throw new SpiceError('usage', 'the connection profile names no port to connect to');
  }
  if (profile.secureChannels.length > 0) {
    throw new SpiceError('tls', `the profile requires TLS for channels (${profile.secureChannels.join(', ')}), which is not supported yet`);
  }
  const where = describeAddress(address);
  return {
    where,
    connector: () => openSocket(address, opts.timeoutMs),
  };
}
