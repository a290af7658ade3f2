// Hostile bytes on one usbredir slot (a scripted server, peers/fake-session.ts, with two slots):
// slot 0 says a good hello and then sends a packet that lies about its length; slot 1 behaves.
// The lying slot's channel ends with a line naming the packet, and the session goes on: `info`
// still reports slot 1 free with its guest's hello, and the display.
import { describe, expect, it, afterEach } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { startFakeSession } from '../peers/fake-session.ts';
import type { MisbehavingServer } from '../peers/misbehaving-server.ts';
import { UsbredirStream } from '../../src/protocol/usbredir/usbredir-stream.ts';

const CHANNEL_USBREDIR = 9;
// spice.proto: SpicevmcChannel DATA 101.
const VMC_DATA = 101;

let server: MisbehavingServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('hostile bytes on one usbredir slot', () => {
  it('a packet longer than usbredir allows ends that slot naming it; the other slot and the session go on', { timeout: 30_000 }, async () => {
    const hellos = new Map<number, UsbredirStream>();
    server = await startFakeSession({
      channels: [[2, 0], [CHANNEL_USBREDIR, 0], [CHANNEL_USBREDIR, 1]],
      onChannel(type, c) {
        if (type !== CHANNEL_USBREDIR) return;
        const id = c.link.channelId;
        const guest = new UsbredirStream({ role: 'guest', version: `fake usb-redir guest ${id}`, caps: 0xff });
        hellos.set(id, guest);
        c.send(VMC_DATA, Buffer.from(guest.hello()));
        if (id !== 0) return;
        // A control_packet (type 100) declaring 0x7fffffff bytes: more than any usbredir packet may carry.
        const lying = Buffer.alloc(16);
        lying.writeUInt32LE(100, 0);
        lying.writeUInt32LE(0x7fffffff, 4);
        c.send(VMC_DATA, lying);
      },
    });
    const r = await runCli(['info', `spice://127.0.0.1:${server.port}`, '--timeout', '10', '-v']);
    expect(r.code, r.stderr).toBe(0);
    expect(hellos.size).toBe(2);
    // Slot 0: the channel's end is logged and shown, naming the packet; its hello came before.
    expect(r.stderr).toMatch(/usbredir channel failed: malformed data from the server: control_packet declares \d+ bytes of data, more than the 65535 accepted \[usbredir channel, message usbredir control_packet \(100\)/);
    expect(r.stdout).toMatch(/usbredir:0 failed \(malformed data from the server: control_packet declares .*\); fake usb-redir guest 0 caps/);
    // Slot 1 and the session: linked and free, the display too.
    expect(r.stdout).toMatch(/usbredir:1 free; fake usb-redir guest 1 caps \[0,1,2,3,4,5,6,7\]; no filter/);
    expect(r.stdout).toMatch(/^ {2}usbredir:1 +linked/m);
    expect(r.stdout).toMatch(/^ {2}display +linked/m);
  });
});
