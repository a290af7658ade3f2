// The head group across a reconnect of the owner's session: the old guest's heads go (no view crops
// the new screen with them), the joined views and their sizes stay, and the new session's
// MONITORS_CONFIG gives the views their heads again.
import { describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { decodeHostMessage, encodeHostMessage } from '../../../../src/protocol/bridge/host-codec.ts';
import { DisplayMsg } from '../../../../src/protocol/channels/display/display-messages.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { HeadGroup, HeadRegistry } from '../../../../src/main/monitors/head-group.ts';
import { waitUntil } from '../../../helpers/wait.ts';

/** A DISPLAY message carrying MONITORS_CONFIG, as the owner's page gets it: heads [x, y, w, h]. */
function monitorsConfig(channelId: number, maxAllowed: number, heads: [number, number, number, number][]): Uint8Array {
  const body = new DataView(new ArrayBuffer(4 + heads.length * 28));
  body.setUint16(0, heads.length, true);
  body.setUint16(2, maxAllowed, true);
  heads.forEach(([x, y, w, h], i) => {
    const at = 4 + i * 28;
    body.setUint32(at, i, true);
    body.setUint32(at + 8, w, true);
    body.setUint32(at + 12, h, true);
    body.setUint32(at + 16, x, true);
    body.setUint32(at + 20, y, true);
  });
  return encodeHostMessage({ kind: 'display', channelId, type: DisplayMsg.MONITORS_CONFIG, serial: 1n, body: new Uint8Array(body.buffer) });
}

function lastHeads(messages: HostMessage[]): Extract<HostMessage, { kind: 'heads' }> | undefined {
  return messages.filter((m): m is Extract<HostMessage, { kind: 'heads' }> => m.kind === 'heads').at(-1);
}

describe('HeadGroup across a reconnect', () => {
  it('drops the old heads, keeps the joined view, and takes the new session\'s heads', async () => {
    const owner: HostMessage[] = [];
    const view: HostMessage[] = [];
    let relayouts = 0;
    const group = new HeadGroup(new HeadRegistry(), {
      log: silentLogger,
      session: () => ({ channels: new Map() }) as never,
      sendToOwner: (m) => owner.push(m),
      relayout: () => relayouts++,
      pageText: () => {},
      input: () => {},
    });
    group.display(monitorsConfig(0, 2, [[0, 0, 800, 600], [800, 0, 640, 480]]));
    const joined = group.join(1, { sendBytes: (b) => view.push(decodeHostMessage(b)), end: () => view.push({ kind: 'status', status: { state: 'closed', reason: 'ended' } }) });
    expect(typeof joined).not.toBe('string');
    await waitUntil('the joined window told the layout', () => lastHeads(view) !== undefined, 5000);
    group.setSize(1, 640, 480);
    expect(lastHeads(view)?.heads.map((h) => h.head)).toEqual([0, 1]);

    group.sessionLost();
    expect(lastHeads(owner)).toMatchObject({ heads: [], joined: 0b10, enabled: 0b11, maxHeads: 2 });
    expect(lastHeads(view)?.heads).toEqual([]);
    // The view is still there: nothing ended it, and the layout wanted keeps its size.
    expect(view.some((m) => m.kind === 'status' && m.status.state === 'closed')).toBe(false);
    expect(group.layoutFor({ width: 1000, height: 700 })).toEqual([
      { width: 1000, height: 700, x: 0, y: 0 },
      { width: 640, height: 480, x: 1000, y: 0 },
    ]);

    // The new guest first has one head, then the layout asked for.
    group.display(monitorsConfig(0, 2, [[0, 0, 1024, 768]]));
    expect(lastHeads(view)?.heads.map((h) => h.head)).toEqual([0]);
    group.display(monitorsConfig(0, 2, [[0, 0, 1000, 700], [1000, 0, 640, 480]]));
    expect(lastHeads(view)?.heads.find((h) => h.head === 1)).toEqual({ head: 1, channelId: 0, x: 1000, y: 0, width: 640, height: 480 });
    expect(relayouts).toBeGreaterThan(0);
  });
});
