import { describe, expect, it } from 'vitest';
import { CapSet } from '../../../src/protocol/link/caps.ts';
import { LinkErr } from '../../../src/protocol/link/constants.ts';
import { buildLinkMess, performLink, type LinkParams } from '../../../src/protocol/link/link.ts';
import { ByteQueue } from '../../../src/protocol/wire/byte-queue.ts';
import { SpiceError } from '../../../src/protocol/wire/errors.ts';
import { WireReader } from '../../../src/protocol/wire/reader.ts';
import { WireWriter } from '../../../src/protocol/wire/writer.ts';
import { nodeTicketCrypto } from '../../../src/main/node/ticket-crypto.ts';
import { fakeLinkServer, linkReply, type FakeLinkOptions } from '../../helpers/fake-link-server.ts';

function params(over: Partial<LinkParams> = {}): LinkParams {
  return {
    connectionId: 0,
    channelType: 1,
    channelId: 0,
    channelCaps: CapSet.of(1, 2),
    password: 'secret',
    crypto: nodeTicketCrypto,
    where: 'test:5900',
    ...over,
  };
}

async function link(o: FakeLinkOptions, p: Partial<LinkParams> = {}) {
  const { transport, received } = fakeLinkServer(o);
  const queue = new ByteQueue(transport, 'main channel');
  const result = await performLink(queue, transport, params(p));
  return { result, received };
}

async function linkError(o: FakeLinkOptions, p: Partial<LinkParams> = {}): Promise<SpiceError> {
  try {
    await link(o, p);
  } catch (e) {
    expect(e).toBeInstanceOf(SpiceError);
    return e as SpiceError;
  }
  throw new Error('link unexpectedly succeeded');
}

describe('CapSet', () => {
  it('maps capability N to bit N%32 of word N/32', () => {
    const s = CapSet.of(0, 3, 33);
    expect(s.words).toEqual([0b1001, 0b10]);
    expect(s.has(33)).toBe(true);
    expect(s.has(1)).toBe(false);
    expect(s.has(64)).toBe(false);
    expect(s.list()).toEqual([0, 3, 33]);
  });
});

describe('link stage', () => {
  it('sends a well-formed SpiceLinkMess', () => {
    const bytes = buildLinkMess({ connectionId: 7, channelType: 2, channelId: 1, common: CapSet.of(0, 3), channel: CapSet.of(6) });
    const r = new WireReader(bytes);
    expect([r.u32(), r.u32(), r.u32(), r.u32()]).toEqual([0x51444552, 2, 2, 18 + 8]);
    expect([r.u32(), r.u8(), r.u8(), r.u32(), r.u32(), r.u32(), r.u32(), r.u32()]).toEqual([7, 2, 1, 1, 1, 18, 0b1001, 1 << 6]);
  });

  it('authenticates with an RSA-OAEP ticket the server can decrypt', async () => {
    const { result, received } = await link({ expectPassword: 'secret', channelCaps: [0b110] });
    expect(received.password).toBe('secret');
    expect(received.authMechanism).toBe(1);
    expect(result.miniHeader).toBe(true);
    expect(result.serverChannelCaps.has(2)).toBe(true);
  });

  it('sends an empty password as just the NUL', async () => {
    const { received } = await link({}, { password: '' });
    expect(received.password).toBe('');
  });

  it('skips the auth mechanism when the server lacks AUTH_SELECTION, and the mini header when not offered', async () => {
    const { result, received } = await link({ commonCaps: [0b0010] });
    expect(received.authMechanism).toBeUndefined();
    expect(result.miniHeader).toBe(false);
  });

  it('lets the channel send its first messages right behind the ticket, before the verdict', async () => {
    const { transport } = fakeLinkServer({ channelCaps: [0b100] });
    const writes: number[] = [];
    const plainWrite = transport.onWrite;
    transport.onWrite = (data) => {
      writes.push(data.byteLength);
      plainWrite?.(data);
    };
    const queue = new ByteQueue(transport, 'display channel');
    let seen: { mini: boolean; cap2: boolean; writesBefore: number } | undefined;
    const result = await performLink(queue, transport, params({
      afterTicket: (l) => {
        seen = { mini: l.miniHeader, cap2: l.serverChannelCaps.has(2), writesBefore: writes.length };
        transport.write(new Uint8Array(20));
      },
    }));
    expect(seen).toEqual({ mini: true, cap2: true, writesBefore: 3 });
    // Link message, auth mechanism, ticket, then the early message.
    expect(writes.slice(-2)).toEqual([128, 20]);
    expect(result.miniHeader).toBe(true);
  });

  it('maps a wrong password to an auth error', async () => {
    const e = await linkError({ expectPassword: 'right' }, { password: 'hunter2-xyz' });
    expect(e.kind).toBe('auth');
    expect(e.message).toContain('refused the password');
    expect(e.message).not.toContain('hunter2');
  });

  it.each([
    [LinkErr.NEED_SECURED, 'tls', /requires TLS/],
    [LinkErr.NEED_UNSECURED, 'tls', /refuses TLS/],
    [LinkErr.VERSION_MISMATCH, 'protocol', /protocol version/],
    [LinkErr.CHANNEL_NOT_AVAILABLE, 'protocol', /has no main channel/],
    [LinkErr.BAD_CONNECTION_ID, 'protocol', /bad connection id/],
    [LinkErr.PERMISSION_DENIED, 'auth', /password/],
    [42, 'protocol', /unknown link error 42/],
  ])('maps link error %i in the reply', async (code, kind, text) => {
    const e = await linkError({ replyError: code });
    expect(e.kind).toBe(kind);
    expect(e.message).toMatch(text);
  });

  it('maps an error in the final link result', async () => {
    const e = await linkError({ resultError: LinkErr.CHANNEL_NOT_AVAILABLE });
    expect(e.kind).toBe('protocol');
  });

  it('rejects a reply with the wrong magic', async () => {
    const raw = linkReply({});
    raw[0] = 0x48; // "H"
    const e = await linkError({ rawReply: raw });
    expect(e.kind).toBe('protocol');
    expect(e.message).toMatch(/not a SPICE server/);
  });

  it('rejects a huge declared reply size without waiting for it', async () => {
    const raw = new WireWriter().u32(0x51444552).u32(2).u32(2).u32(0xfffffff0).finish();
    const e = await linkError({ rawReply: raw });
    expect(e.message).toMatch(/declares 4294967280 bytes/);
  });

  it('rejects a caps offset outside the reply and lying caps counts', async () => {
    const raw = linkReply({});
    new DataView(raw.buffer).setUint32(16 + 174, 5000, true);
    expect((await linkError({ rawReply: raw })).message).toMatch(/caps offset/);
    const raw2 = linkReply({});
    new DataView(raw2.buffer).setUint32(16 + 166, 0x40000000, true);
    expect((await linkError({ rawReply: raw2 })).message).toMatch(/capability list claims/);
  });

  it('rejects a server that only offers SASL', async () => {
    const e = await linkError({ commonCaps: [0b0101] });
    expect(e.kind).toBe('auth');
    expect(e.message).toMatch(/SASL/);
  });

  it('refuses a password longer than SPICE allows before sending anything', async () => {
    const e = await linkError({}, { password: 'x'.repeat(61) });
    expect(e.kind).toBe('usage');
  });

  it('fails cleanly when the reply is cut short', async () => {
    const raw = linkReply({}).subarray(0, 60);
    const { transport } = fakeLinkServer({ rawReply: raw });
    const queue = new ByteQueue(transport, 'main channel');
    const p = performLink(queue, transport, params());
    setTimeout(() => transport.end(), 5);
    await expect(p).rejects.toThrow(/closed the main channel connection/);
  });
});
