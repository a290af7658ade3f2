// The port channel over an in-memory server: it announces LZ4, hands the named port to its handler
// (QMP here), leaves an unknown port alone, follows OPENED/CLOSED, cuts long writes into DATA
// messages, and a malformed message ends the channel with a clear error.
import { describe, expect, it } from 'vitest';
import { PortChannel } from '../../../../src/protocol/channels/port/port-channel.ts';
import { MAX_CLIENT_DATA, PortEvent, PortMsg, PortMsgc } from '../../../../src/protocol/channels/port/port-messages.ts';
import { SpicevmcCap } from '../../../../src/protocol/channels/spicevmc/spicevmc-messages.ts';
import { QmpPort } from '../../../../src/protocol/channels/port/qmp-port.ts';
import { WebdavMux } from '../../../../src/protocol/channels/port/webdav-mux.ts';
import { ChannelType } from '../../../../src/protocol/link/constants.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';
import { waitUntil } from '../../../helpers/wait.ts';
import { linkedAudioChannel } from '../playback/audio-link.ts';
import { lz4Body, portInitBody, qmpGreeting, qmpLine } from './port-bodies.ts';

const link = (type: typeof ChannelType.PORT | typeof ChannelType.WEBDAV = ChannelType.PORT) => linkedAudioChannel((host) => new PortChannel(host, type, 0, {}), [SpicevmcCap.DATA_COMPRESS_LZ4]);

describe('PortChannel', () => {
  it('announces the LZ4 cap and gives org.qemu.monitor.qmp.0 to the QMP handler', async () => {
    const l = await link();
    expect(l.announced).toEqual([SpicevmcCap.DATA_COMPRESS_LZ4]);
    const inits: unknown[] = [];
    l.channel.events.on('init', (i) => inits.push(i));
    l.server.feed(miniMessage(PortMsg.INIT, portInitBody('org.qemu.monitor.qmp.0', true)));
    await waitUntil('PORT_INIT', () => inits.length === 1);
    expect(inits).toEqual([{ name: 'org.qemu.monitor.qmp.0', opened: true, handled: true }]);
    expect(l.channel.handler).toBeInstanceOf(QmpPort);
    expect(l.channel.opened).toBe(true);
    // The greeting arrives unasked; the handler answers with qmp_capabilities.
    l.server.feed(miniMessage(PortMsg.DATA, qmpLine(qmpGreeting)));
    await waitUntil('qmp_capabilities', () => l.sent().some((m) => m.type === PortMsgc.DATA));
    const sent = l.sent().filter((m) => m.type === PortMsgc.DATA).map((m) => new TextDecoder().decode(m.body));
    expect(sent).toEqual(['{"execute":"qmp_capabilities","id":1}\r\n']);
    await l.close();
  });

  it('links a port it does not know and leaves it alone; data and events are counted', async () => {
    const l = await link();
    const payloads: string[] = [];
    l.channel.events.on('data', ({ payload }) => payloads.push(new TextDecoder().decode(payload)));
    l.server.feed(miniMessage(PortMsg.INIT, portInitBody('org.qemu.console.debug.0', false)));
    l.server.feed(miniMessage(PortMsg.EVENT, Uint8Array.of(PortEvent.OPENED)));
    const { body, text } = lz4Body('ab', 3, 'c');
    l.server.feed(miniMessage(PortMsg.COMPRESSED_DATA, body));
    l.server.feed(miniMessage(PortMsg.DATA, new TextEncoder().encode('login: ')));
    await waitUntil('the data', () => l.channel.counts.bytesIn === text.length + 7);
    expect(l.channel.portName).toBe('org.qemu.console.debug.0');
    expect(l.channel.handler).toBeNull();
    expect(l.channel.opened).toBe(true);
    expect(payloads).toEqual([text, 'login: ']);
    l.server.feed(miniMessage(PortMsg.EVENT, Uint8Array.of(PortEvent.CLOSED)));
    await waitUntil('CLOSED', () => !l.channel.opened);
    expect(l.sent().filter((m) => m.type >= 100)).toEqual([]);
    await l.close();
  });

  it('the webdav channel gets the mux; writes are cut into DATA messages of at most 64 KiB', async () => {
    const l = await link(ChannelType.WEBDAV);
    l.server.feed(miniMessage(PortMsg.INIT, portInitBody('org.spice-space.webdav.0', false)));
    await waitUntil('the mux', () => l.channel.handler !== null);
    expect(l.channel.handler).toBeInstanceOf(WebdavMux);
    l.channel.write(new Uint8Array(MAX_CLIENT_DATA * 2 + 5));
    l.channel.sendEvent(PortEvent.BREAK);
    const sent = l.sent().filter((m) => m.type >= 100);
    expect(sent.map((m) => [m.type, m.body.byteLength])).toEqual([
      [PortMsgc.DATA, MAX_CLIENT_DATA],
      [PortMsgc.DATA, MAX_CLIENT_DATA],
      [PortMsgc.DATA, 5],
      [PortMsgc.EVENT, 1],
    ]);
    await l.close();
  });

  it('ends the channel on a malformed message, data before PORT_INIT, or a second PORT_INIT', async () => {
    const cases: [Uint8Array[], RegExp][] = [
      [[miniMessage(PortMsg.INIT, Uint8Array.of(1, 2, 3))], /PORT_INIT/],
      [[miniMessage(PortMsg.DATA, Uint8Array.of(1))], /before PORT_INIT/],
      [[miniMessage(PortMsg.INIT, portInitBody('a', false)), miniMessage(PortMsg.INIT, portInitBody('b', false))], /second PORT_INIT/],
      [[miniMessage(PortMsg.INIT, portInitBody('org.qemu.monitor.qmp.0', true)), miniMessage(PortMsg.DATA, new TextEncoder().encode('not json\r\n'))], /not JSON/],
    ];
    for (const [messages, pattern] of cases) {
      const { fakeLinkServer } = await import('../../../helpers/fake-link-server.ts');
      const { memoryChannelHost } = await import('../../../helpers/channel-host.ts');
      const { transport } = fakeLinkServer();
      const channel = new PortChannel(memoryChannelHost(transport), ChannelType.PORT, 1, {});
      await channel.connect(1);
      const running = channel.run();
      for (const m of messages) transport.feed(m);
      await expect(running).rejects.toThrow(pattern);
      expect(channel.handler).toBeNull();
      await channel.close();
    }
  });
});
