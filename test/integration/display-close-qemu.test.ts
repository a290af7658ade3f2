// spice-server 0.15 (Debian's, in QEMU and Xspice) crashes when a display connection closes while
// its worker thread waits for the client's DISPLAY_INIT: display_channel_client_wait_for_init()
// reads the connection, the read sees the end of it and frees the channel client, and the loop
// then asks the freed client whether it is connected (a use after free; QEMU dies with
// "SPICE Worker ... segfault", and the user's VM with it). The server sends its first display
// message (SET_ACK) only once that wait is over, so spicedesk keeps a display connection open
// until that message has come (docs/protocol.md, "Closing a display channel").
//
// The relay holds the client's DISPLAY_INIT back for a moment, which keeps the server waiting, as a
// loaded server does, and passes the main channel's end on a moment later than the display's, as
// the server's main thread may see it after its worker thread has seen the display's (when the main
// channel's end comes first, the server tears the session down in an order that survives). A client
// that closed its display connection in that moment would kill QEMU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { drainQueuedWork, waitUntil } from '../helpers/wait.ts';
import { startQemu, type QemuServer } from '../peers/qemu.ts';
import { startSpiceRelay, type RelayHooks } from '../peers/spice-relay.ts';
import { tcpConnectionsOn } from '../peers/tcp-connections.ts';

const DISPLAY = 2;
const MSGC_DISPLAY_INIT = 101;
const MAIN = 1;
const HOLD_MS = 2000;

let heldInits = 0;

/** Holds each DISPLAY_INIT back for HOLD_MS, then sends it on (if the client is still there). */
const holdDisplayInit: RelayHooks = {
  fromClient(channel, message) {
    if (channel.type !== DISPLAY || message.type !== MSGC_DISPLAY_INIT) return undefined;
    heldInits++;
    const held = { type: message.type, body: Uint8Array.from(message.body) };
    setTimeout(() => {
      try {
        channel.sendToServer(held);
      } catch {
        // the connection is gone
      }
    }, HOLD_MS);
    return [];
  },
  serverCloseDelayMs: (channel) => (channel.type === MAIN ? 2 * HOLD_MS : 0),
};

describe('closing a display channel that spice-server is still setting up', () => {
  let qemu: QemuServer;
  beforeAll(async () => {
    qemu = await startQemu({});
  }, 60_000);
  afterAll(() => qemu?.stop());

  async function expectQemuAlive(): Promise<void> {
    // The crash comes from the server's worker thread just after the connection ends.
    await waitUntil('the relayed connections to QEMU to close', () => tcpConnectionsOn(qemu.port) === 0, 15_000);
    await drainQueuedWork();
    expect(qemu.running(), qemu.outputTail()).toBe(true);
    const direct = await runCli(['info', `spice://127.0.0.1:${qemu.port}`, '--timeout', '10']);
    expect(direct.stderr).toBe('');
    expect(direct.code).toBe(0);
  }

  it('info ends without killing QEMU', async () => {
    heldInits = 0;
    const relay = await startSpiceRelay({ port: qemu.port }, holdDisplayInit);
    try {
      const r = await runCli(['info', relay.url, '--timeout', '10']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // The display channel was set up (its DISPLAY_INIT held) before the command ended.
      expect(heldInits).toBe(1);
    } finally {
      await relay.close();
    }
    await expectQemuAlive();
  });
});
