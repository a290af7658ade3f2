// The page's end of the bridge over either transport: HELLO first, the host's HELLO checked,
// garbage ends the bridge; in the Electron window, the port taken from the preload's message.
import { describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../../src/protocol/bridge/kinds.ts';
import { encodeHostMessage, encodeHostPacket } from '../../../src/protocol/bridge/host-codec.ts';

/** One host message as the host sends it: in a packet. */
const packet = (m: Parameters<typeof encodeHostMessage>[0]): Uint8Array => encodeHostPacket([encodeHostMessage(m)]);
import { decodeUiMessage } from '../../../src/protocol/bridge/ui-codec.ts';
import {
  BRIDGE_PORT_MESSAGE,
  BridgeSocket,
  connectBridge,
  electronHost,
  messagePortTransport,
  type BridgeTransport,
  type ElectronHost,
} from '../../../src/renderer/bridge-socket.ts';
import { BRIDGE_PORT_MESSAGE as PRELOAD_BRIDGE_PORT_MESSAGE } from '../../../src/main/electron/ipc-channels.ts';
import { waitUntil, watchForNothing } from '../../helpers/wait.ts';

class FakeTransport implements BridgeTransport {
  readonly peer = 'the test host';
  events!: Parameters<BridgeTransport['start']>[0];
  readonly sent: Uint8Array[] = [];
  closedWith: string | null = null;
  start(events: Parameters<BridgeTransport['start']>[0]): void {
    this.events = events;
  }
  send(bytes: Uint8Array): void {
    this.sent.push(bytes);
  }
  close(reason: string): void {
    this.closedWith = reason;
  }
}

function socket(): { t: FakeTransport; got: HostMessage[]; closed: string[] } {
  const t = new FakeTransport();
  const got: HostMessage[] = [];
  const closed: string[] = [];
  new BridgeSocket(t, 2, { message: (m) => got.push(m), closed: (r) => closed.push(r) });
  return { t, got, closed };
}

const status: HostMessage = { kind: 'status', status: { state: 'connecting', where: 'h:1' } };

describe('BridgeSocket', () => {
  it('sends HELLO with its target once the transport opens, then hands on checked messages', () => {
    const { t, got } = socket();
    expect(t.sent).toHaveLength(0);
    t.events.opened();
    expect(decodeUiMessage(t.sent[0], BRIDGE_VERSION)).toEqual({ kind: 'hello', version: BRIDGE_VERSION, target: 2, videoCodecs: [], audio: { opusDecode: false, opusEncode: false, volume: false, latency: false } });
    t.events.message(packet({ kind: 'hello', version: BRIDGE_VERSION }).buffer);
    // As a port delivers it: a Uint8Array.
    t.events.message(packet(status));
    expect(got).toEqual([status]);
  });

  it('ends the bridge on a message before HELLO', () => {
    const { t, got, closed } = socket();
    t.events.message(packet(status));
    expect(got).toEqual([]);
    expect(t.closedWith).toBe('the test host did not start with HELLO');
    expect(closed).toEqual(['the test host did not start with HELLO']);
  });

  it('ends the bridge on another bridge version, text, or garbage, and reports the close once', () => {
    const v = socket();
    v.t.events.message(packet({ kind: 'hello', version: BRIDGE_VERSION + 1 }));
    expect(v.t.closedWith).toMatch(new RegExp(`speaks bridge version ${BRIDGE_VERSION + 1}, this page ${BRIDGE_VERSION}`));
    const text = socket();
    text.t.events.message('hello');
    expect(text.t.closedWith).toMatch(/not binary/);
    const junk = socket();
    junk.t.events.message(new Uint8Array([0x7e]));
    expect(junk.t.closedWith).not.toBeNull();
    junk.t.events.closed('later');
    expect(junk.closed).toHaveLength(1);
  });
});

/** A window with its own origin and message events, as the page sees it. */
function fakeWindow(host: unknown): Window {
  const target = new EventTarget();
  return Object.assign(target, { location: { origin: 'spicedesk-app://renderer' }, spicedeskHost: host }) as unknown as Window;
}

function fakeHost(onOpen: () => void): ElectronHost {
  return { kind: 'electron', openBridge: onOpen, openInputPort: () => {}, onScreenshotRequest: () => {}, screenshotReply: () => {}, screenshotFailed: () => {} };
}

describe('electronHost', () => {
  it('is the preload API when it is complete, else null (a browser)', () => {
    expect(electronHost(fakeWindow(fakeHost(() => {})))).not.toBeNull();
    expect(electronHost(fakeWindow(undefined))).toBeNull();
    expect(electronHost(fakeWindow({ kind: 'electron' }))).toBeNull();
    expect(electronHost(fakeWindow({ ...fakeHost(() => {}), kind: 'browser' }))).toBeNull();
  });

  it("uses the preload's message name", () => {
    expect(BRIDGE_PORT_MESSAGE).toBe(PRELOAD_BRIDGE_PORT_MESSAGE);
  });
});

describe('messagePortTransport', () => {
  it('asks for a bridge, takes the port from its own origin only, and speaks over it', async () => {
    let asked = 0;
    const host = fakeHost(() => asked++);
    const w = fakeWindow(host);
    const got: HostMessage[] = [];
    const bridge = connectBridge(0, { message: (m) => got.push(m), closed: () => {} }, w);
    expect(bridge.peer).toBe('spicedesk');
    expect(asked).toBe(1);

    const stranger = new MessageChannel();
    w.dispatchEvent(new MessageEvent('message', { data: BRIDGE_PORT_MESSAGE, origin: 'https://evil.example', ports: [stranger.port1] }));
    const { port1: page, port2: main } = new MessageChannel();
    w.dispatchEvent(new MessageEvent('message', { data: BRIDGE_PORT_MESSAGE, origin: 'spicedesk-app://renderer', ports: [page] }));

    const fromPage: Uint8Array[] = [];
    main.onmessage = (e: MessageEvent<Uint8Array>) => fromPage.push(e.data);
    main.postMessage(packet({ kind: 'hello', version: BRIDGE_VERSION }));
    main.postMessage(packet(status));
    await waitUntil('a message each way', () => got.length >= 1 && fromPage.length >= 1, 5000);
    expect(decodeUiMessage(fromPage[0], BRIDGE_VERSION)).toEqual({ kind: 'hello', version: BRIDGE_VERSION, target: 0, videoCodecs: [], audio: { opusDecode: false, opusEncode: false, volume: false, latency: false } });
    expect(got).toEqual([status]);
    // Nothing went to the stranger's port.
    let strangerGot = 0;
    stranger.port2.onmessage = () => strangerGot++;
    await watchForNothing(20);
    expect(strangerGot).toBe(0);
    for (const p of [page, main, stranger.port1, stranger.port2]) p.close();
  });

  it('takes one port only: one page, one bridge', async () => {
    const w = fakeWindow(fakeHost(() => {}));
    const t = messagePortTransport(electronHost(w)!, w);
    let opened = 0;
    t.start({ opened: () => opened++, message: () => {}, closed: () => {} });
    const a = new MessageChannel();
    const b = new MessageChannel();
    w.dispatchEvent(new MessageEvent('message', { data: BRIDGE_PORT_MESSAGE, origin: 'spicedesk-app://renderer', ports: [a.port1] }));
    w.dispatchEvent(new MessageEvent('message', { data: BRIDGE_PORT_MESSAGE, origin: 'spicedesk-app://renderer', ports: [b.port1] }));
    expect(opened).toBe(1);
    t.close('done');
    for (const p of [a.port1, a.port2, b.port1, b.port2]) p.close();
  });
});
