// The Electron head windows (head-windows.ts) against the fake `electron`: head 1's page is told
// about a second head, a window opens for it, and that window's page gets its own input port
// (as the session window's does, input-port.ts): the port joins the session named by its token and
// carries keys into it, refuses other tokens, and ends with the window.
import type { MessagePort } from 'node:worker_threads';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { HostMessage, UiMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { decodeHostPacket } from '../../../../src/protocol/bridge/host-codec.ts';
import { BRIDGE_VERSION } from '../../../../src/protocol/bridge/kinds.ts';
import { encodeUiMessage } from '../../../../src/protocol/bridge/ui-codec.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { NOT_KIOSK, sessionPolicy } from '../../../../src/protocol/policy/kiosk-policy.ts';
import { FromMain } from '../../../../src/main/electron/ipc-channels.ts';
import { HeadGroup, HeadRegistry } from '../../../../src/main/monitors/head-group.ts';
import { FakeElectron, type FakeWindow } from '../../../helpers/fake-electron.ts';
import { waitUntil } from '../../../helpers/wait.ts';

const fake = new FakeElectron();
vi.mock('electron', () => fake.module);
const { HeadWindows, headWindowOf } = await import('../../../../src/main/electron/head-windows.ts');
const { QuitGate } = await import('../../../../src/main/electron/window-policy.ts');

beforeAll(() => {
  fake.ready = true;
  // Two monitors side by side: the plan gives each head a window on its own.
  const monitor = (x: number) => ({ bounds: { x, y: 0, width: 1920, height: 1080 }, workArea: { x, y: 0, width: 1920, height: 1040 } });
  (fake.module.screen as { getAllDisplays: () => unknown[] }).getAllDisplays = () => [monitor(0), monitor(1920)];
});

function setup() {
  const registry = new HeadRegistry();
  const inputs: UiMessage[] = [];
  const group = new HeadGroup(registry, { log: silentLogger, session: () => null, sendToOwner: () => {}, relayout: () => {}, pageText: () => {}, input: (m) => void inputs.push(m) });
  const heads = new HeadWindows({
    registry,
    preload: '/opt/spicedesk/preload.cjs',
    packaged: true,
    logger: silentLogger,
    linkTimeoutMs: 1000,
    policy: sessionPolicy({ flags: NOT_KIOSK }),
    gate: new QuitGate(false),
    title: () => 'guest',
    fullscreen: () => false,
    sessionWindow: () => null,
  });
  const before = fake.windows.length;
  heads.observe({ kind: 'head-token', token: group.token });
  heads.observe({
    kind: 'heads',
    maxHeads: 2,
    enabled: 0b11,
    joined: 0b01,
    heads: [
      { head: 0, channelId: 0, x: 0, y: 0, width: 800, height: 600 },
      { head: 1, channelId: 0, x: 800, y: 0, width: 800, height: 600 },
    ],
  });
  const opened = fake.windows.slice(before);
  return { group, inputs, heads, opened };
}

/** The page of head window `w` asks for its input port, as the preload does; the port main answered with. */
function openInputPort(w: FakeWindow): MessagePort {
  const before = fake.posted.length;
  headWindowOf(w.webContents.id)!.receive({ channel: 'spicedesk:open-input-port', payload: {} });
  const answer = fake.posted.slice(before).find((p) => p.channel === FromMain.inputPort);
  if (!answer?.ports[0]) throw new Error('main did not answer the input port request with a port');
  return answer.ports[0];
}

function listen(port: MessagePort): { got: HostMessage[]; closed: () => boolean } {
  const got: HostMessage[] = [];
  let closed = false;
  port.on('message', (data: Uint8Array) => got.push(...decodeHostPacket(data)));
  port.on('close', () => (closed = true));
  return { got, closed: () => closed };
}

describe("a head window's input port", () => {
  it('opens one window for the second head, on the app page with its head and join token', () => {
    const { opened, heads } = setup();
    expect(opened).toHaveLength(1);
    expect(opened[0].url).toMatch(/#target=0&head=1&join=[0-9a-f]{64}$/);
    heads.closeAll();
  });

  it("joins the session its token names and carries the page's keys into it", async () => {
    const { group, inputs, opened, heads } = setup();
    const port = openInputPort(opened[0]);
    const page = listen(port);
    port.postMessage(encodeUiMessage({ kind: 'input-join', version: BRIDGE_VERSION, target: 0, token: group.token }));
    port.postMessage(encodeUiMessage({ kind: 'key-down', scancode: 0x1e }));
    port.postMessage(encodeUiMessage({ kind: 'key-up', scancode: 0x1e }));
    await waitUntil('both keys in the session', () => inputs.length === 2, 5000);
    expect(inputs).toEqual([
      { kind: 'key-down', scancode: 0x1e },
      { kind: 'key-up', scancode: 0x1e },
    ]);
    expect(page.got[0]).toEqual({ kind: 'hello', version: BRIDGE_VERSION });
    heads.closeAll();
  });

  it('refuses a token that names no session', async () => {
    const { group, inputs, opened, heads } = setup();
    const port = openInputPort(opened[0]);
    const page = listen(port);
    const wrong = Uint8Array.from(group.token);
    wrong[0] ^= 0x80;
    port.postMessage(encodeUiMessage({ kind: 'input-join', version: BRIDGE_VERSION, target: 0, token: wrong }));
    await waitUntil('an error status', () => page.got.some((m) => m.kind === 'status' && m.status.state === 'error'), 5000);
    expect(page.got.find((m) => m.kind === 'status')).toMatchObject({ status: { state: 'error', message: expect.stringMatching(/names a session that is over/) } });
    port.postMessage(encodeUiMessage({ kind: 'key-down', scancode: 0x1e }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(inputs).toEqual([]);
    heads.closeAll();
  });

  it('ends with its window: no key reaches the session after the window closed', async () => {
    const { group, inputs, opened } = setup();
    const port = openInputPort(opened[0]);
    const page = listen(port);
    port.postMessage(encodeUiMessage({ kind: 'input-join', version: BRIDGE_VERSION, target: 0, token: group.token }));
    await waitUntil('the hello', () => page.got.length > 0, 5000);
    opened[0].close();
    await waitUntil('the port closed', page.closed, 5000);
    port.postMessage(encodeUiMessage({ kind: 'key-down', scancode: 0x1e }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(inputs).toEqual([]);
  });
});
