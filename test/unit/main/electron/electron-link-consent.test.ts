// The built app (dist/electron-main.cjs) against a fake Electron: a session from a link asks
// first (its start with --from-link, macOS open-url, a second instance started for a link), and
// "always allow" is kept in settings.json; command lines and files never ask.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FROM_LINK_SWITCH } from '../../../../src/main/electron/link-consent.ts';
import { FakeElectron, loadElectronMain } from '../../../helpers/fake-electron.ts';
import { waitUntil } from '../../../helpers/wait.ts';

const UNREACHABLE = 'spice://127.0.0.1:9';
const CONNECT = 0;
const CANCEL = 1;

let fake: FakeElectron;
let configDir: string;
const savedConfigDir = process.env.SPICEDESK_CONFIG_DIR;

beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'spicedesk-consent-'));
  process.env.SPICEDESK_CONFIG_DIR = configDir;
  fake = new FakeElectron();
  // As the Linux desktop entry starts the app for a link.
  loadElectronMain(fake, ['/opt/spicedesk/spicedesk', '--from-link', '--', UNREACHABLE]);
  await waitUntil('the question for the link the app was started with', () => fake.messageBoxes.length > 0 || fake.fatal.length > 0, 5000);
});
afterAll(() => {
  fake?.closeAll();
  if (savedConfigDir === undefined) delete process.env.SPICEDESK_CONFIG_DIR;
  else process.env.SPICEDESK_CONFIG_DIR = savedConfigDir;
  rmSync(configDir, { recursive: true, force: true });
});

const openUrl = (url: string): void => void fake.app.emit('open-url', { preventDefault: () => {} }, url);
const lastBox = () => fake.messageBoxes[fake.messageBoxes.length - 1];

describe('a session from a link asks first', () => {
  it('asks before the link the app was started for connects, showing host, port and no TLS; Cancel opens nothing and quits', async () => {
    expect(fake.fatal).toEqual([]);
    const box = fake.messageBoxes[0];
    expect(box.options).toMatchObject({ buttons: ['Connect', 'Cancel'], defaultId: CANCEL, cancelId: CANCEL, checkboxChecked: false });
    expect(String(box.options.message)).toContain('127.0.0.1');
    expect(String(box.options.detail)).toContain('on port 9, NOT encrypted');
    expect(fake.windows).toHaveLength(0);
    box.answer(CANCEL, true);
    await waitUntil('the app quitting with nothing open', () => fake.quits > 0, 5000);
    expect(fake.windows).toHaveLength(0);
    // Cancel with "always" ticked remembers nothing.
    expect(() => readFileSync(join(configDir, 'settings.json'))).toThrow();
  });

  it('asks for a macOS open-url; Connect with "always allow" opens the window and remembers the host', async () => {
    openUrl('spice+tls://127.0.0.1:9');
    await waitUntil('the question', () => fake.messageBoxes.length === 2, 5000);
    expect(String(lastBox().options.detail)).toContain('on TLS port 9, encrypted');
    lastBox().answer(CONNECT, true);
    await waitUntil('the window', () => fake.windows.length === 1, 5000);
    expect(JSON.parse(readFileSync(join(configDir, 'settings.json'), 'utf8'))).toMatchObject({ version: 1, allowedLinkHosts: ['127.0.0.1'] });
  });

  it('does not ask again for that host, on any port', async () => {
    openUrl('spice://127.0.0.1:10');
    await waitUntil('the second window', () => fake.windows.length === 2, 5000);
    expect(fake.messageBoxes).toHaveLength(2);
  });

  it('asks for a second instance started for a link, not for one started from a command line', async () => {
    fake.app.emit('second-instance', {}, ['/opt/spicedesk/spicedesk', '--from-link', '--', 'spice://localhost:5900'], '/home/ann', { targets: ['spice://localhost:5900'] });
    await waitUntil('the question', () => fake.messageBoxes.length === 3, 5000);
    expect(String(lastBox().options.message)).toContain('localhost');
    lastBox().answer(CONNECT, false);
    await waitUntil('the third window', () => fake.windows.length === 3, 5000);
    fake.app.emit('second-instance', {}, ['/opt/spicedesk/spicedesk', 'spice://localhost:5900'], '/home/ann', { targets: ['spice://localhost:5900'] });
    await waitUntil('the fourth window', () => fake.windows.length === 4, 5000);
    expect(fake.messageBoxes).toHaveLength(3);
    // Connect without "always": localhost is not remembered, so a link to it asks again.
    openUrl('spice://localhost:5900');
    await waitUntil('the question again', () => fake.messageBoxes.length === 4, 5000);
    lastBox().answer(CANCEL, false);
  });

  it('does not ask for a .vv file the system opened (macOS open-file)', async () => {
    const windows = fake.windows.length;
    fake.app.emit('open-file', { preventDefault: () => {} }, '/home/ann/Downloads/console.vv');
    await waitUntil('the window of the file', () => fake.windows.length === windows + 1, 5000);
    expect(fake.messageBoxes).toHaveLength(4);
  });

  it('opens nothing when the question cannot be shown', async () => {
    const windows = fake.windows.length;
    const quits = fake.quits;
    fake.messageBoxFails = true;
    try {
      openUrl('spice://unshown.example:5900');
      await waitUntil('the failed question', () => fake.failedMessageBoxes === 1, 5000);
      // With windows open, a link not asked does not quit the app; the next link is asked normally.
      fake.messageBoxFails = false;
      const before = fake.messageBoxes.length;
      openUrl('spice://asked.example:5900');
      await waitUntil('the next question', () => fake.messageBoxes.length === before + 1, 5000);
      expect(String(lastBox().options.message)).toContain('asked.example');
      lastBox().answer(CANCEL, false);
      expect(fake.windows.length).toBe(windows);
      expect(fake.quits).toBe(quits);
    } finally {
      fake.messageBoxFails = false;
    }
  });

  it('asks a few questions at a time: a page following many links gets the rest dropped', async () => {
    const before = fake.messageBoxes.length;
    for (let i = 0; i < 10; i++) openUrl(`spice://host${i}.example:5900`);
    await waitUntil('the first question', () => fake.messageBoxes.length === before + 1, 5000);
    for (let i = 1; i <= 3; i++) {
      lastBox().answer(CANCEL, false);
      if (i < 3) await waitUntil(`question ${i + 1}`, () => fake.messageBoxes.length === before + i + 1, 5000);
    }
    // Only three were taken; nothing else comes.
    await new Promise((r) => setImmediate(r));
    expect(fake.messageBoxes.length).toBe(before + 3);
  });
});

describe('the Windows protocol registration', () => {
  it('puts the link switch and -- before the URI, for each SPICE scheme', async () => {
    const packaged = new FakeElectron();
    (packaged.module.app as { isPackaged: boolean }).isPackaged = true;
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    Object.defineProperty(process, 'platform', { value: 'win32' });
    try {
      loadElectronMain(packaged, ['C:\\spicedesk\\spicedesk.exe', UNREACHABLE]);
      await waitUntil('the registration', () => packaged.protocolClients.length === 3 || packaged.fatal.length > 0, 5000);
    } finally {
      Object.defineProperty(process, 'platform', platform);
      packaged.closeAll();
    }
    expect(packaged.fatal).toEqual([]);
    expect(packaged.protocolClients).toEqual(
      ['spice', 'spice+tls', 'spice+unix'].map((scheme) => ({ scheme, path: process.execPath, args: [FROM_LINK_SWITCH, '--'] })),
    );
  });
});
