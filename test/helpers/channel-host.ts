// The session side a channel needs (ChannelHost), for unit tests that link one channel over an
// in-memory transport: every connection goes to `transport`, the ticket is encrypted for real,
// and each processed message's serial can be collected.
import type { ChannelHost, SpiceChannel } from '../../src/protocol/channel/channel.ts';
import { silentLogger, type Logger } from '../../src/protocol/logger.ts';
import type { Transport } from '../../src/protocol/wire/transport.ts';
import { nodeTicketCrypto } from '../../src/main/node/ticket-crypto.ts';

export function memoryChannelHost(transport: Transport, options: { logger?: Logger; processed?: bigint[] } = {}): ChannelHost {
  return {
    logger: options.logger ?? silentLogger,
    connector: async () => transport,
    crypto: nodeTicketCrypto,
    password: '',
    where: 'memory',
    waitForSerial: async () => {},
    processed: (_c: SpiceChannel, serial: bigint) => void options.processed?.push(serial),
  };
}
