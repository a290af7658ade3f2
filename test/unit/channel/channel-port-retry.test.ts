// A link refused with NEED_SECURED is retried once on the TLS port, NEED_UNSECURED once on the
// plain port; other refusals, and a second refusal, are reported as they are.
import { describe, expect, it } from 'vitest';
import type { ChannelHost, SpiceChannel } from '../../../src/protocol/channel/channel.ts';
import { MainChannel } from '../../../src/protocol/channels/main/main-channel.ts';
import { LinkErr } from '../../../src/protocol/link/constants.ts';
import { silentLogger } from '../../../src/protocol/logger.ts';
import type { Connector } from '../../../src/protocol/wire/transport.ts';
import { nodeTicketCrypto } from '../../../src/main/node/ticket-crypto.ts';
import { fakeLinkServer } from '../../helpers/fake-link-server.ts';

type Request = Parameters<Connector>[0];

/** A connector whose n-th connection answers the link with `replies[n]` (0 = accepted). */
function scriptedConnector(replies: number[]): { connector: Connector; requests: Request[] } {
  const requests: Request[] = [];
  const connector: Connector = async (request) => {
    requests.push(request);
    const replyError = replies[requests.length - 1];
    if (replyError === undefined) throw new Error('more connections than the test expected');
    return fakeLinkServer({ replyError }).transport;
  };
  return { connector, requests };
}

function mainChannel(connector: Connector): MainChannel {
  const host: ChannelHost = {
    logger: silentLogger,
    connector,
    crypto: nodeTicketCrypto,
    password: '',
    where: 'memory',
    waitForSerial: async () => {},
    processed: (_c: SpiceChannel, _serial: bigint) => {},
  };
  return new MainChannel(host);
}

describe('channel link: moving to the port the server asks for', () => {
  it('NEED_SECURED: retried once on the TLS port, then linked', async () => {
    const { connector, requests } = scriptedConnector([LinkErr.NEED_SECURED, LinkErr.OK]);
    const ch = mainChannel(connector);
    await ch.connect(0);
    expect(ch.state).toBe('ready');
    expect(requests.map((r) => [r.tls, r.unsecured ?? false])).toEqual([
      [false, false],
      [true, false],
    ]);
    ch.close();
  });

  it('NEED_UNSECURED: retried once on the plain port (unsecured), then linked', async () => {
    const { connector, requests } = scriptedConnector([LinkErr.NEED_UNSECURED, LinkErr.OK]);
    const ch = mainChannel(connector);
    await ch.connect(0);
    expect(ch.state).toBe('ready');
    expect(requests.map((r) => [r.tls, r.unsecured ?? false])).toEqual([
      [false, false],
      [false, true],
    ]);
    ch.close();
  });

  it('a second refusal is reported, not retried again (a server sending both cannot make it loop)', async () => {
    const { connector, requests } = scriptedConnector([LinkErr.NEED_SECURED, LinkErr.NEED_UNSECURED]);
    const ch = mainChannel(connector);
    await expect(ch.connect(0)).rejects.toMatchObject({ kind: 'tls', message: expect.stringMatching(/refuses TLS for the main channel/) });
    expect(requests).toHaveLength(2);
    expect(ch.state).toBe('closed');
  });

  it('other link errors are not retried', async () => {
    for (const code of [LinkErr.PERMISSION_DENIED, LinkErr.CHANNEL_NOT_AVAILABLE]) {
      const { connector, requests } = scriptedConnector([code]);
      await expect(mainChannel(connector).connect(0)).rejects.toMatchObject({ kind: code === LinkErr.PERMISSION_DENIED ? 'auth' : 'protocol' });
      expect(requests).toHaveLength(1);
    }
  });

  it("the connector's refusal to go unencrypted ends the link with its message", async () => {
    const requests: Request[] = [];
    const connector: Connector = async (request) => {
      requests.push(request);
      if (request.unsecured) throw new Error('no plain port');
      return fakeLinkServer({ replyError: LinkErr.NEED_UNSECURED }).transport;
    };
    await expect(mainChannel(connector).connect(0)).rejects.toThrow(/no plain port/);
    expect(requests).toHaveLength(2);
  });
});
