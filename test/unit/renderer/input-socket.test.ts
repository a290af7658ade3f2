// The page's input socket: it joins with the session's token, carries key and pointer messages
// once it is open, nothing is held and the worker has answered a fence after the last input it
// sent (never a release whose press went through the bridge), and gives input back to the bridge
// when it closes.
import { describe, expect, it } from 'vitest';
import type { UiMessage } from '../../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../../src/protocol/bridge/kinds.ts';
import { decodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';
import { MessageChannel } from 'node:worker_threads';
import { INPUT_PORT_MESSAGE } from '../../../src/protocol/bridge/preload-contract.ts';
import { InputSocket, portInputTransport, type InputSocketTransport } from '../../../src/renderer/input-socket.ts';
import { waitUntil } from '../../helpers/wait.ts';

class FakeSocket implements InputSocketTransport {
  readyState = 0;
  binaryType: BinaryType = 'blob';
  onopen: InputSocketTransport['onopen'] = null;
  onclose: InputSocketTransport['onclose'] = null;
  readonly sent: UiMessage[] = [];
  send(data: Uint8Array): void {
    this.sent.push(decodeUiMessage(data, BRIDGE_VERSION));
  }
  close(): void {
    this.readyState = 3;
  }
  opened(): void {
    this.readyState = 1;
    this.onopen?.call(null as unknown as WebSocket, new Event('open'));
  }
  closedByHost(): void {
    this.readyState = 3;
    this.onclose?.call(null as unknown as WebSocket, {} as CloseEvent);
  }
}

const token = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

function setup() {
  const fake = new FakeSocket();
  /** Fences asked for and not answered yet (the worker's answers, in order). */
  const fences: (() => void)[] = [];
  const socket = new InputSocket(fake, 3, token, () => new Promise<void>((done) => fences.push(done)));
  /** Where each message went: 'socket' or 'bridge'. */
  const route = (m: UiMessage): 'socket' | 'bridge' => (socket.take(m) ? 'socket' : 'bridge');
  /** The worker answers every fence asked for so far. */
  const answerFences = async (): Promise<void> => {
    for (const done of fences.splice(0)) done();
    await Promise.resolve();
  };
  return { fake, socket, route, fences, answerFences };
}

const down = (scancode: number): UiMessage => ({ kind: 'key-down', scancode });
const up = (scancode: number): UiMessage => ({ kind: 'key-up', scancode });

describe("the page's input socket", () => {
  it('joins with INPUT_JOIN once open, and carries input at once when none went through the bridge', () => {
    const { fake, socket, route, fences } = setup();
    expect(fake.binaryType).toBe('arraybuffer');
    fake.opened();
    expect(fake.sent).toEqual([{ kind: 'input-join', version: BRIDGE_VERSION, target: 3, token }]);
    expect(route(down(0x1f))).toBe('socket');
    expect(route(up(0x1f))).toBe('socket');
    expect(route({ kind: 'mouse-position', x: 1, y: 2, buttons: 0, displayId: 0 })).toBe('socket');
    expect(fake.sent.slice(1)).toEqual([down(0x1f), up(0x1f), { kind: 'mouse-position', x: 1, y: 2, buttons: 0, displayId: 0 }]);
    expect(socket.carrying).toBe(true);
    expect(socket.sent).toBe(3);
    expect(fences).toHaveLength(0);
  });

  it('leaves every other message to the bridge', () => {
    const { fake, route } = setup();
    fake.opened();
    expect(route({ kind: 'clipboard-text', text: 'x' })).toBe('bridge');
    expect(route({ kind: 'display-size', width: 800, height: 600 })).toBe('bridge');
    expect(fake.sent).toHaveLength(1);
  });

  it('switches only once the worker has sent on what went through the bridge before', async () => {
    const { fake, route, fences, answerFences } = setup();
    // Before the socket opens: the bridge.
    expect(route(down(0x1e))).toBe('bridge');
    expect(route(up(0x1e))).toBe('bridge');
    expect(fences).toHaveLength(0);
    // Open: a fence covers those two; until it is answered, input stays on the bridge.
    fake.opened();
    expect(fences).toHaveLength(1);
    expect(route(down(0x1e))).toBe('bridge');
    expect(route(up(0x1e))).toBe('bridge');
    await answerFences();
    // The two after the fence was asked need a fence of their own.
    expect(fences).toHaveLength(1);
    expect(route(down(0x1e))).toBe('bridge');
    await answerFences();
    expect(fences).toHaveLength(1);
    // The key is held (its press went through the bridge): its release goes there too.
    expect(route(up(0x1e))).toBe('bridge');
    await answerFences();
    await answerFences();
    expect(route({ kind: 'mouse-press', button: 1, buttons: 1 })).toBe('socket');
    expect(route({ kind: 'mouse-release', button: 1, buttons: 0 })).toBe('socket');
    expect(fake.sent.slice(1).map((m) => m.kind)).toEqual(['mouse-press', 'mouse-release']);
  });

  it('does not switch while a key or button is held, even fenced', async () => {
    const { fake, route, answerFences } = setup();
    expect(route({ kind: 'mouse-press', button: 1, buttons: 1 })).toBe('bridge');
    fake.opened();
    await answerFences();
    expect(route({ kind: 'mouse-position', x: 5, y: 5, buttons: 1, displayId: 0 })).toBe('bridge');
    await answerFences();
    expect(route({ kind: 'mouse-release', button: 1, buttons: 0 })).toBe('bridge');
    await answerFences();
    expect(route({ kind: 'mouse-position', x: 6, y: 5, buttons: 0, displayId: 0 })).toBe('socket');
  });

  it('gives input back to the bridge for good when the host closes it', () => {
    const { fake, socket, route } = setup();
    fake.opened();
    expect(route(down(0x1e))).toBe('socket');
    fake.closedByHost();
    expect(route(up(0x1e))).toBe('bridge');
    expect(route(down(0x1f))).toBe('bridge');
    expect(socket.carrying).toBe(false);
  });

  it('sends nothing once the page closed it, not even the join of a late open', () => {
    const { fake, socket, route } = setup();
    socket.close();
    fake.opened();
    expect(fake.sent).toEqual([]);
    expect(route(down(0x1e))).toBe('bridge');
  });
});

describe("the Electron window's input port as the socket's transport", () => {
  function fakeWindow(origin = 'spicedesk-app://renderer'): Window {
    return Object.assign(new EventTarget(), { location: { origin } }) as unknown as Window;
  }
  const portMessage = (w: Window, port: unknown, origin = 'spicedesk-app://renderer', data: unknown = INPUT_PORT_MESSAGE): void =>
    void w.dispatchEvent(Object.assign(new Event('message'), { origin, data, ports: port ? [port] : [] }));

  it('asks the preload for a port, opens on the first from its own origin, and carries what the socket sends', async () => {
    const w = fakeWindow();
    let asked = 0;
    const t = portInputTransport({ openInputPort: () => void asked++ }, w);
    const socket = new InputSocket(t, 0, token, () => Promise.resolve());
    expect(asked).toBe(1);
    const stranger = new MessageChannel();
    portMessage(w, stranger.port1, 'https://evil.example');
    portMessage(w, stranger.port1, 'spicedesk-app://renderer', 'another message');
    expect(t.readyState).toBe(0);
    const { port1, port2 } = new MessageChannel();
    const atMain: UiMessage[] = [];
    port2.on('message', (b: Uint8Array) => atMain.push(decodeUiMessage(b, BRIDGE_VERSION)));
    portMessage(w, port1);
    expect(t.readyState).toBe(1);
    expect(socket.take(down(0x1e))).toBe(true);
    await waitUntil('the join and the key at main', () => atMain.length === 2);
    expect(atMain).toEqual([{ kind: 'input-join', version: BRIDGE_VERSION, target: 0, token }, down(0x1e)]);
    // Main ends its side (the session ended): input goes back to the bridge.
    port2.close();
    await waitUntil('the port closed', () => t.readyState === 3);
    expect(socket.take(up(0x1e))).toBe(false);
  });

  it('closes a port that comes after the page closed the socket', () => {
    const w = fakeWindow();
    const t = portInputTransport({ openInputPort: () => {} }, w);
    t.close();
    const { port1, port2 } = new MessageChannel();
    let closed = false;
    port2.on('close', () => (closed = true));
    portMessage(w, port1);
    expect(t.readyState).toBe(3);
    return waitUntil('the late port closed', () => closed);
  });
});
