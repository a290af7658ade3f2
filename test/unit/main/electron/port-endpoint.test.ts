// The MessagePort endpoint of the bridge, with a node:worker_threads MessageChannel standing in
// for Electron's MessageChannelMain: one end shaped like MessagePortMain for the host, the other
// playing the page.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { decodeHostPacket } from '../../../../src/protocol/bridge/host-codec.ts';
import { encodeUiMessage } from '../../../../src/protocol/bridge/ui-codec.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { BridgeHost } from '../../../../src/main/host/bridge-host.ts';
import { bytesOf, portEndpoint, type MainPort } from '../../../../src/main/electron/port-endpoint.ts';
import { waitUntil } from '../../../helpers/wait.ts';

/** A worker_threads port as Electron's MessagePortMain looks: 'message' listeners get { data, ports }. */
function asMainPort(port: MessagePort): MainPort {
  return {
    postMessage: (m) => port.postMessage(m),
    on(event: 'message' | 'close', listener: ((e: { data: unknown }) => void) | (() => void)) {
      if (event === 'message') port.on('message', (data: unknown) => (listener as (e: { data: unknown }) => void)({ data }));
      else port.on('close', listener as () => void);
      return this;
    },
    start: () => port.start(),
    close: () => port.close(),
  } as MainPort;
}

/** The page's end: every message decoded, and whether the port closed. */
class FakePage {
  readonly received: HostMessage[] = [];
  readonly raw: unknown[] = [];
  /** Messages that were not host packets (the endpoint tests send raw bytes too). */
  readonly undecodable: Error[] = [];
  closed = false;
  constructor(readonly port: MessagePort) {
    port.on('message', (data: unknown) => {
      this.raw.push(data);
      try {
        this.received.push(...decodeHostPacket(data as Uint8Array));
      } catch (e) {
        this.undecodable.push(e as Error);
      }
    });
    port.on('close', () => (this.closed = true));
  }
  send(data: unknown): void {
    this.port.postMessage(data);
  }
  async until(check: () => boolean, what: string): Promise<void> {
    await waitUntil(what, check, 5000, { explain: () => `got ${JSON.stringify(this.received, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}` });
  }
}

const open: MessagePort[] = [];
function channel(): { host: MainPort; page: FakePage } {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  return { host: asMainPort(port1), page: new FakePage(port2) };
}
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

const hostOptions = { targets: [], logger: silentLogger, linkTimeoutMs: 1000, helloTimeoutMs: 10_000 };

describe('bytesOf', () => {
  it('takes ArrayBuffers and views of them, exactly their bytes', () => {
    const buffer = new Uint8Array([9, 1, 2, 3, 9]).buffer;
    expect([...bytesOf(buffer)!]).toEqual([9, 1, 2, 3, 9]);
    expect([...bytesOf(new Uint8Array(buffer, 1, 3))!]).toEqual([1, 2, 3]);
    expect([...bytesOf(Buffer.from([4, 5]))!]).toEqual([4, 5]);
  });

  it('refuses anything else a page might post', () => {
    for (const v of ['\x81', 42, null, undefined, { 0: 0x81 }, [0x81], new SharedArrayBuffer(4)]) expect(bytesOf(v)).toBeNull();
  });
});

describe('portEndpoint', () => {
  it('carries the HELLO to the page as a Uint8Array of exactly its own bytes', async () => {
    const { host, page } = channel();
    const h = new BridgeHost(portEndpoint(host), hostOptions, 1);
    await page.until(() => page.received.length === 1, 'HELLO');
    expect(page.received[0]).toEqual({ kind: 'hello', version: BRIDGE_VERSION });
    const raw = page.raw[0] as Uint8Array;
    expect(raw).toBeInstanceOf(Uint8Array);
    expect(raw.byteLength).toBe(raw.buffer.byteLength);
    h.shutdown();
  });

  it('sends a view of a larger buffer as its own bytes only', async () => {
    const { host, page } = channel();
    const e = portEndpoint(host);
    const big = new Uint8Array(1000);
    big.set([0x01, 0x53, 0x44, 0x42, 0x52, 1, 0], 100);
    e.send(big.subarray(100, 107));
    await page.until(() => page.raw.length === 1, 'a message');
    expect((page.raw[0] as Uint8Array).buffer.byteLength).toBe(7);
  });

  it("answers a page's HELLO for a target the host does not have with the host's message, then closes", async () => {
    const { host, page } = channel();
    const h = new BridgeHost(portEndpoint(host), { ...hostOptions, noTarget: () => ({ errorKind: 'usage', message: 'give a .vv file' }) }, 1);
    page.send(encodeUiMessage({ kind: 'hello', version: BRIDGE_VERSION, target: 0 }));
    await page.until(() => page.closed, 'the port to close');
    expect(page.received).toEqual([
      { kind: 'hello', version: BRIDGE_VERSION },
      { kind: 'status', status: { state: 'error', errorKind: 'usage', message: 'give a .vv file' } },
    ]);
    expect(h.closed).toBe(true);
  });

  it('tells the host status listener what it tells the page', async () => {
    const { host, page } = channel();
    const seen: unknown[] = [];
    new BridgeHost(portEndpoint(host), { ...hostOptions, onStatus: (s) => seen.push(s) }, 1);
    page.send(encodeUiMessage({ kind: 'hello', version: BRIDGE_VERSION, target: 3 }));
    await page.until(() => page.closed, 'the port to close');
    expect(seen).toEqual([{ state: 'error', errorKind: 'usage', message: 'target 3 was not given to spicedesk serve; it serves no target' }]);
  });

  it('refuses a page that posts something not binary', async () => {
    const { host, page } = channel();
    new BridgeHost(portEndpoint(host), hostOptions, 1);
    page.send({ kind: 'hello', target: 0 });
    await page.until(() => page.closed, 'the port to close');
    expect(page.received[1]).toEqual({ kind: 'status', status: { state: 'error', errorKind: 'protocol', message: 'the bridge speaks binary messages only' } });
  });

  it('refuses a malformed bridge message', async () => {
    const { host, page } = channel();
    new BridgeHost(portEndpoint(host), hostOptions, 1);
    page.send(new Uint8Array([0xfe, 1, 2]));
    await page.until(() => page.closed, 'the port to close');
    const last = page.received[1];
    expect(last.kind === 'status' && last.status.state === 'error' && last.status.message).toMatch(/unknown kind 0xfe/);
  });

  it('ends the session when the page goes away, and sends nothing after', async () => {
    const { host, page } = channel();
    const e = portEndpoint(host);
    const h = new BridgeHost(e, hostOptions, 1);
    await page.until(() => page.received.length === 1, 'HELLO');
    page.port.close();
    await waitUntil('the endpoint closed', () => !e.open, 5000).catch(() => undefined);
    expect(e.open).toBe(false);
    expect(h.closed).toBe(true);
    expect(() => e.send(new Uint8Array([1]))).not.toThrow();
  });

  it('calls a close listener added after it closed, once', () => {
    const { host } = channel();
    const e = portEndpoint(host);
    e.close(1000, '');
    let calls = 0;
    e.onClose(() => calls++);
    e.close(1000, '');
    expect(calls).toBe(1);
    expect(e.open).toBe(false);
  });
});
