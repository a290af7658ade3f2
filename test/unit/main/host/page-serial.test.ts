// The host's side of the page's serial console (src/main/host/page-serial.ts) over a real port
// channel in memory: the console is offered once PORT_INIT names org.qemu.console.serial.0, the
// guest's bytes become SERIAL_DATA (64 KiB at most each), the page's input goes out as port DATA,
// and a page whose policy hides the VM menu (kiosk) is offered nothing and its input is dropped.
import { describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { MAX_SERIAL_DATA_BYTES } from '../../../../src/protocol/bridge/serial-messages.ts';
import { PortChannel } from '../../../../src/protocol/channels/port/port-channel.ts';
import { PortMsg, PortMsgc } from '../../../../src/protocol/channels/port/port-messages.ts';
import { SpicevmcCap } from '../../../../src/protocol/channels/spicevmc/spicevmc-messages.ts';
import { ChannelType } from '../../../../src/protocol/link/constants.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { Session } from '../../../../src/protocol/session/session.ts';
import { PageSerial } from '../../../../src/main/host/page-serial.ts';
import { miniMessage } from '../../../helpers/server-messages.ts';
import { waitUntil } from '../../../helpers/wait.ts';
import { linkedAudioChannel } from '../../channels/playback/audio-link.ts';
import { portInitBody } from '../../channels/port/port-bodies.ts';

async function setup(allowed: boolean) {
  const sent: HostMessage[] = [];
  const serial = new PageSerial((m) => sent.push(m), silentLogger);
  const session = {} as Session;
  serial.setAllowed(allowed);
  serial.attach(session);
  const l = await linkedAudioChannel((host) => new PortChannel(host, ChannelType.PORT, 0, {}), [SpicevmcCap.DATA_COMPRESS_LZ4]);
  serial.channelLinked(session, l.channel);
  l.server.feed(miniMessage(PortMsg.INIT, portInitBody('org.qemu.console.serial.0', true)));
  await waitUntil('PORT_INIT', () => l.channel.portName !== null);
  return { sent, serial, l };
}

describe('PageSerial', () => {
  it('offers the console, relays the guest\'s bytes and the page\'s input', async () => {
    const { sent, serial, l } = await setup(true);
    // PORT_INIT names the port (offered), then says it is open.
    expect(sent).toEqual([
      { kind: 'serial-state', available: true, open: false },
      { kind: 'serial-state', available: true, open: true },
    ]);
    const big = new Uint8Array(MAX_SERIAL_DATA_BYTES + 10).map((_, i) => i & 0xff);
    l.server.feed(miniMessage(PortMsg.DATA, big));
    await waitUntil('the data', () => sent.length === 4);
    expect(sent.slice(2).map((m) => (m.kind === 'serial-data' ? m.bytes.byteLength : -1))).toEqual([MAX_SERIAL_DATA_BYTES, 10]);
    serial.handle({ kind: 'serial-input', bytes: new TextEncoder().encode('ls\r') });
    expect(l.sent().filter((m) => m.type === PortMsgc.DATA).map((m) => new TextDecoder().decode(m.body))).toEqual(['ls\r']);
    await l.close();
    await waitUntil('the console to go with its channel', () => sent.at(-1)?.kind === 'serial-state' && !(sent.at(-1) as { available: boolean }).available);
  });

  it('offers nothing to a kiosk page and drops its input', async () => {
    const { sent, serial, l } = await setup(false);
    l.server.feed(miniMessage(PortMsg.DATA, new TextEncoder().encode('login: ')));
    await waitUntil('the data to reach the port', () => l.channel.counts.bytesIn === 7);
    serial.handle({ kind: 'serial-input', bytes: new TextEncoder().encode('root\r') });
    expect(sent).toEqual([]);
    expect(l.sent().filter((m) => m.type === PortMsgc.DATA)).toEqual([]);
    await l.close();
  });
});
