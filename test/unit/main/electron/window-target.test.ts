// A window's TARGET: resolved to a connection, or to the error its status line shows; its title.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareWindowTarget, targetLabel, windowTitle } from '../../../../src/main/electron/window-target.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-wt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = {};

describe('prepareWindowTarget', () => {
  it('reads a .vv file: where to connect, its title, hotkeys and password', async () => {
    const vv = join(dir, 'vm.vv');
    writeFileSync(vv, '[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=5930\npassword=s3cret\ntitle=Build VM %d\ntoggle-fullscreen=shift+f11\n');
    const t = await prepareWindowTarget(vv, { timeoutMs: 1000, env });
    if (!t.ok) throw new Error(t.message);
    expect(t.target.plan.where).toBe('127.0.0.1:5930');
    expect(t.target.password).toBe('s3cret');
    expect(t.profile.title).toBe('Build VM %d');
    expect(t.profile.hotkeys['toggle-fullscreen']).toBe('shift+f11');
  });

  it('takes the password from SPICE_PASSWORD when the target has none', async () => {
    const t = await prepareWindowTarget('spice://127.0.0.1:5931', { timeoutMs: 1000, env: { SPICE_PASSWORD: 'pw' } });
    expect(t.ok && t.target.password).toBe('pw');
  });

  it('keeps the password out of the label', async () => {
    const t = await prepareWindowTarget('spice://127.0.0.1:5932?password=hunter2', { timeoutMs: 1000, env });
    expect(t.ok && t.target.label).toBe('spice://127.0.0.1:5932?password=***');
    expect(targetLabel('spice://user:pw@h:1')).toBe('spice://***@h:1');
  });

  it('gives the error the window shows for a missing file', async () => {
    const t = await prepareWindowTarget(join(dir, 'missing.vv'), { timeoutMs: 1000, env });
    expect(t.ok).toBe(false);
    if (t.ok) return;
    expect(t.errorKind).toBe('usage');
    expect(t.message).toMatch(/missing\.vv.*does not exist/);
  });

  it('gives the error for a connection spicedesk refuses before connecting (a malformed host-subject)', async () => {
    const vv = join(dir, 'tls.vv');
    writeFileSync(vv, '[virt-viewer]\ntype=spice\nhost=127.0.0.1\ntls-port=5933\nhost-subject=CN=\n');
    const t = await prepareWindowTarget(vv, { timeoutMs: 1000, env });
    expect(t.ok ? 'ok' : t.errorKind).toBe('tls');
  });
});

describe('windowTitle', () => {
  it("prefers the .vv title, its %d being the first monitor's number", () => {
    expect(windowTitle({ profileTitle: 'Build VM %d', serverName: 'srv', label: 'x' })).toBe('Build VM 1');
  });

  it("is the server's name once connected, else the target", () => {
    expect(windowTitle({ serverName: 'fedora', label: 'spice://h:1' })).toBe('fedora – spicedesk');
    expect(windowTitle({ label: 'spice://h:1' })).toBe('spice://h:1 – spicedesk');
    expect(windowTitle({ profileTitle: '  ' })).toBe('spicedesk');
  });
});
