// The bridge run in the decode worker (bridge-in-worker.ts) over a real MessagePort, as the
// Electron window's port reaches it: HELLO once the page's extras came, display bodies into the
// pipeline's sink and the rest to the page (their bytes copied out of the packet), DISPLAY_RESET
// before the next body, garbage ending the bridge with BridgeSocket's sentence. And the page's
// side (worker-bridge.ts): its id only, sends through the worker, nothing after its close.
import { MessageChannel, type MessagePort as NodeMessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostMessage, UiMessage } from '../../../src/protocol/bridge/bridge-messages.ts';
import { encodeHostMessage, encodeHostPacket } from '../../../src/protocol/bridge/host-codec.ts';
import { BRIDGE_VERSION } from '../../../src/protocol/bridge/kinds.ts';
import { decodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';
import { WorkerBridgeEnd } from '../../../src/renderer/bridge-in-worker.ts';
import type { WorkerBridgeCommand, WorkerBridgeLink, WorkerBridgeMessage } from '../../../src/renderer/display-view.ts';
import { WorkerBridge } from '../../../src/renderer/worker-bridge.ts';
import type { FromDecodeWorker } from '../../../src/renderer/worker-messages.ts';
import { waitUntil } from '../../helpers/wait.ts';

const packet = (...ms: HostMessage[]): Uint8Array => encodeHostPacket(ms.map((m) => encodeHostMessage(m)));
const audio = { opusDecode: true, opusEncode: false, volume: true, latency: false };

describe('WorkerBridgeEnd (the bridge in the decode worker)', () => {
  let host: NodeMessagePort | null = null;
  afterEach(() => host?.close());

  function open() {
    const channel = new MessageChannel();
    host = channel.port2;
    const fromPage: Uint8Array[] = [];
    host.on('message', (b: Uint8Array) => fromPage.push(b));
    const sunk: string[] = [];
    const posted: FromDecodeWorker[] = [];
    const end = new WorkerBridgeEnd(
      { kind: 'bridge-open', id: 7, url: null, port: channel.port1 as unknown as MessagePort, peer: 'the test host', target: 3, helloExtras: true },
      {
        display: (channelId, type, body, serial) => sunk.push(`display ${channelId} ${type} ${serial} ${Array.from(body).join(',')}`),
        resetDisplay: () => sunk.push('reset'),
        // As the decode worker's playback: playback bodies stay in the worker, the rest go on.
        host: (m) => {
          if (m.kind !== 'playback') return false;
          sunk.push(`playback ${m.type} ${Array.from(m.body).join(',')}`);
          return true;
        },
        ended: () => sunk.push('ended'),
        post: (m) => posted.push(m),
      },
    );
    return { host: channel.port2, fromPage, sunk, posted, end };
  }

  it("sends HELLO with the page's codecs and sound once they come, then splits the host's packets", async () => {
    const b = open();
    b.end.helloExtras({ videoCodecs: [], audio });
    await waitUntil('the HELLO', () => b.fromPage.length === 1);
    expect(decodeUiMessage(b.fromPage[0], BRIDGE_VERSION)).toEqual({ kind: 'hello', version: BRIDGE_VERSION, target: 3, videoCodecs: [], audio });
    b.end.send({ kind: 'key-down', scancode: 0x1e });
    await waitUntil('the key', () => b.fromPage.length === 2);
    expect(decodeUiMessage(b.fromPage[1], BRIDGE_VERSION)).toEqual({ kind: 'key-down', scancode: 0x1e });

    const cursor: HostMessage = { kind: 'cursor', channelId: 0, type: 101, serial: 5n, body: new Uint8Array([9, 8, 7]) };
    const status: HostMessage = { kind: 'status', status: { state: 'connecting', where: 'h:1' } };
    b.host.postMessage(packet({ kind: 'hello', version: BRIDGE_VERSION }, status, { kind: 'display', channelId: 1, type: 302, serial: 2n, body: new Uint8Array([1, 2]) }, cursor));
    b.host.postMessage(packet({ kind: 'display-reset' }, { kind: 'display', channelId: 0, type: 303, serial: 1n, body: new Uint8Array([3]) }));
    b.host.postMessage(packet({ kind: 'playback', channelId: 0, type: 101, serial: 9n, body: new Uint8Array([4, 5]) }));
    await waitUntil('both packets at the page, the playback in the worker', () => b.posted.length === 2 && b.sunk.length === 4);
    expect(b.sunk).toEqual(['display 1 302 2 1,2', 'reset', 'display 0 303 1 3', 'playback 101 4,5']);
    expect(b.posted).toEqual([
      { kind: 'bridge-messages', id: 7, messages: [status, cursor] },
      { kind: 'bridge-messages', id: 7, messages: [{ kind: 'display-reset' }] },
    ]);
    // The cursor's bytes are its own, not a view of the packet the pipeline now holds.
    const forwarded = (b.posted[0] as Extract<FromDecodeWorker, { kind: 'bridge-messages' }>).messages[1] as Extract<HostMessage, { kind: 'cursor' }>;
    expect(forwarded.body.buffer.byteLength).toBe(3);
  });

  it('ends the bridge on garbage with the same sentence as on the page, once', async () => {
    const b = open();
    b.host.postMessage(packet({ kind: 'status', status: { state: 'connecting', where: 'h:1' } }));
    await waitUntil('the close', () => b.posted.length > 0);
    expect(b.posted).toEqual([{ kind: 'bridge-closed', id: 7, reason: 'the test host did not start with HELLO' }]);
    expect(b.sunk).toEqual(['ended']);
  });
});

describe('WorkerBridge (the page side)', () => {
  function link() {
    const commands: WorkerBridgeCommand[] = [];
    let listener: (m: WorkerBridgeMessage) => void = () => {};
    const l: WorkerBridgeLink = { post: (m) => commands.push(m), listen: (f) => (listener = f) };
    return { l, commands, deliver: (m: WorkerBridgeMessage) => listener(m) };
  }
  const w = { location: { protocol: 'http:', host: 'gw:1', pathname: '/abc/index.html', origin: 'http://gw:1' } } as unknown as Window;

  it("opens the gateway's socket in the worker, sends through it, and takes only its own bridge's messages", async () => {
    const k = link();
    const got: HostMessage[] = [];
    const closed: string[] = [];
    const hello: UiMessage = { kind: 'hello', version: BRIDGE_VERSION, target: 0 };
    const bridge = new WorkerBridge(k.l, 0, { message: (m) => got.push(m), closed: (r) => closed.push(r) }, w, hello, { videoCodecs: async () => [], audio: async () => audio });
    expect(k.commands[0]).toMatchObject({ kind: 'bridge-open', url: 'ws://gw:1/abc/ws', port: null, helloExtras: true, first: hello });
    const id = (k.commands[0] as { id: number }).id;
    await waitUntil('the extras', () => k.commands.length === 2);
    expect(k.commands[1]).toEqual({ kind: 'bridge-hello-extras', id, videoCodecs: [], audio });
    bridge.send({ kind: 'ctrl-alt-del' });
    expect(k.commands[2]).toEqual({ kind: 'bridge-send', id, message: { kind: 'ctrl-alt-del' } });
    const status: HostMessage = { kind: 'status', status: { state: 'connecting', where: 'h:1' } };
    k.deliver({ kind: 'bridge-messages', id: id + 100, messages: [status] });
    k.deliver({ kind: 'bridge-messages', id, messages: [status] });
    expect(got).toEqual([status]);
    k.deliver({ kind: 'bridge-closed', id, reason: 'gone' });
    expect(closed).toEqual(['gone']);
    bridge.send({ kind: 'ctrl-alt-del' });
    expect(k.commands).toHaveLength(3);
  });

  it("resolves a fence when the worker answers it, for its own bridge and number only", async () => {
    const k = link();
    const bridge = new WorkerBridge(k.l, 0, { message: () => {}, closed: () => {} }, w);
    const id = (k.commands[0] as { id: number }).id;
    bridge.send({ kind: 'key-down', scancode: 0x1e });
    let first = false;
    let second = false;
    void bridge.fence().then(() => (first = true));
    void bridge.fence().then(() => (second = true));
    // Posted after the send: the worker handles them in that order.
    expect(k.commands.slice(1)).toEqual([
      { kind: 'bridge-send', id, message: { kind: 'key-down', scancode: 0x1e } },
      { kind: 'bridge-fence', id, fence: 1 },
      { kind: 'bridge-fence', id, fence: 2 },
    ]);
    k.deliver({ kind: 'bridge-fenced', id: id + 1, fence: 1 });
    k.deliver({ kind: 'bridge-fenced', id, fence: 2 });
    await Promise.resolve();
    expect([first, second]).toEqual([false, true]);
    k.deliver({ kind: 'bridge-fenced', id, fence: 1 });
    await Promise.resolve();
    expect(first).toBe(true);
    bridge.close();
    let late = false;
    void bridge.fence().then(() => (late = true));
    await Promise.resolve();
    expect(late).toBe(false);
  });

  it('after close() asks the worker to end it and hands on nothing more', () => {
    const k = link();
    const got: HostMessage[] = [];
    const bridge = new WorkerBridge(k.l, 0, { message: (m) => got.push(m), closed: () => got.push({ kind: 'display-reset' }) }, w);
    const id = (k.commands[0] as { id: number }).id;
    bridge.close();
    expect(k.commands[1]).toEqual({ kind: 'bridge-close', id });
    k.deliver({ kind: 'bridge-messages', id, messages: [{ kind: 'status', status: { state: 'connecting', where: 'h:1' } }] });
    k.deliver({ kind: 'bridge-closed', id, reason: '' });
    expect(got).toEqual([]);
  });
});
