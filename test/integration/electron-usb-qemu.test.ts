// The desktop window's USB options: the built app (dist/electron-main.cjs) against a fake Electron
// (test/helpers/fake-electron.ts) and QEMU with two usb-redir slots (no guest OS: the slots' usb-guest
// speaks usbredir without one). `--spice-share-cd` as `spicedesk open` hands it over puts the CD on
// a slot of the window's session, and the window's page (played here through its bridge port) gets
// the USB panel's state: the CD on its slot, the slots line; its switch takes the CD out. A bad
// rule stops the app with its sentence.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HostMessage, UiMessage } from '../../src/protocol/bridge/bridge-messages.ts';
import { decodeHostPacket } from '../../src/protocol/bridge/host-codec.ts';
import { BRIDGE_VERSION } from '../../src/protocol/bridge/kinds.ts';
import { encodeUiMessage } from '../../src/protocol/bridge/ui-codec.ts';
import type { UsbStateMessage } from '../../src/protocol/bridge/usb-messages.ts';
import { usbSwitches } from '../../src/main/electron/usb-args.ts';
import { FakeElectron, loadElectronMain } from '../helpers/fake-electron.ts';
import { waitFor, waitUntil } from '../helpers/wait.ts';
import { isoImage } from '../peers/iso9660.ts';
import { startQemu, type QemuServer } from '../peers/qemu.ts';

const work = mkdtempSync(join(tmpdir(), 'spicedesk-window-usb-'));
const iso = join(work, 'window.iso');
let qemu: QemuServer;
let app: FakeElectron | null = null;

beforeAll(async () => {
  writeFileSync(iso, isoImage('WINDOW', [{ name: 'W.TXT', data: new TextEncoder().encode('window') }]));
  qemu = await startQemu({ usbredir: 2 });
}, 60_000);
afterEach(() => {
  app?.closeAll();
  app = null;
});
afterAll(async () => {
  await qemu?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('the desktop window\'s USB options', () => {
  it('--spice-share-cd puts the CD on a slot of the window\'s session; the page\'s panel shows it and takes it out', { timeout: 60_000 }, async () => {
    const fake = new FakeElectron();
    app = fake;
    loadElectronMain(fake, ['/opt/spicedesk/spicedesk', ...usbSwitches({ shareCds: [iso] }), `spice://127.0.0.1:${qemu.port}`]);
    await waitUntil('the window', () => fake.windows.length === 1 || fake.fatal.length > 0, 5000);
    expect(fake.fatal).toEqual([]);
    const port: MessagePort = fake.openBridge(fake.windows[0]);
    const got: HostMessage[] = [];
    port.on('message', (data: Uint8Array) => got.push(...decodeHostPacket(data)));
    const send = (m: UiMessage): void => port.postMessage(encodeUiMessage(m));
    send({ kind: 'hello', version: BRIDGE_VERSION, target: 0 });
    const states = (): UsbStateMessage[] => got.filter((m): m is UsbStateMessage => m.kind === 'usb-state');
    // The slots link one by one, and the CD may go onto the first before the second is listed:
    // wait for a state with both slots and the CD on one.
    const cdOn = await waitFor('the CD on a slot in the panel\'s state, both slots listed', () => states().filter((s) => s.slots.length === 2 && s.devices.some((d) => d.id === `cd:${iso}` && d.slot !== '')).at(-1), 30_000, {
      explain: () => JSON.stringify(got.filter((m) => m.kind === 'status' || m.kind.startsWith('usb')).slice(-6)),
    });
    expect(cdOn.slots.filter((s) => s.device === 'spicedesk shared CD window.iso (1209:0003)')).toHaveLength(1);
    // The attach was followed step by step for the panel.
    expect(got.filter((m) => m.kind === 'usb-progress').map((m) => m.kind === 'usb-progress' && m.step).slice(0, 3)).toEqual(['opening', 'connecting', 'offered']);
    send({ kind: 'usb-detach', id: `cd:${iso}` });
    await waitUntil('the CD out', () => got.some((m) => m.kind === 'usb-result' && m.ok && m.message === 'spicedesk shared CD window.iso (1209:0003) left the VM'), 15_000);
    await waitUntil('both slots free', () => states().at(-1)?.slots.every((s) => s.device === '') === true, 5000);
  });

  it('a rule that does not parse stops the app with its sentence', async () => {
    const fake = new FakeElectron();
    app = fake;
    loadElectronMain(fake, ['/opt/spicedesk/spicedesk', '--spice-usbredir-redirect-on-connect=usb please', `spice://127.0.0.1:${qemu.port}`]);
    await waitUntil('the app stopped', () => fake.fatal.length > 0, 5000);
    expect(fake.fatal[0]).toMatch(/--spice-usbredir-redirect-on-connect: /);
    expect(fake.windows).toHaveLength(0);
  });
});
