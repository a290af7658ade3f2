// QEMU with qxl, audio, usbredir, the webdav port and the agent port: every channel it lists
// links cleanly, and capture shows the firmware screen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUniform } from '../peers/image.ts';
import { comparePixels, explainMismatch, readPng } from '../peers/png.ts';
import { waitForStableScreen } from '../peers/desktop.ts';
import { startQemu, type QemuServer } from '../peers/qemu.ts';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'spicedesk-qemu-'));

describe('QEMU with every channel type', () => {
  let qemu: QemuServer;
  beforeAll(async () => {
    qemu = await startQemu({ audio: true, usbredir: 2, webdav: true, agentPort: true });
  }, 60_000);
  afterAll(async () => {
    await qemu?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('info links every listed channel without an error', async () => {
    const r = await runCli(['info', `spice://127.0.0.1:${qemu.port}`, '--json', '--timeout', '20']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { channels: { type: string; id: number; status: string; detail?: string }[]; uuid?: string; name?: string };
    const kinds = report.channels.map((c) => `${c.type}:${c.id}`);
    expect(kinds).toEqual(
      expect.arrayContaining(['main:0', 'display:0', 'inputs:0', 'cursor:0', 'playback:0', 'record:0', 'usbredir:0', 'usbredir:1', 'webdav:0']),
    );
    for (const c of report.channels) expect(`${c.type}:${c.id} ${c.status} ${c.detail ?? ''}`).toMatch(/ linked/);
    // QEMU sends its UUID (all zeros without -uuid) because spicedesk announces NAME_AND_UUID.
    expect(report.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('capture shows the firmware screen as spice-gtk does', async () => {
    // SeaBIOS ends on "No bootable device."; from then on the screen is still.
    const reference = await waitForStableScreen(qemu.port, { timeoutMs: 30_000 });
    const out = join(dir, 'firmware.png');
    const r = await runCli(['capture', `spice://127.0.0.1:${qemu.port}`, '-o', out, '--timeout', '30']);
    expect(r.code, r.stderr).toBe(0);
    const image = readPng(out);
    expect(image.width).toBeGreaterThanOrEqual(640);
    expect(image.height).toBeGreaterThanOrEqual(400);
    expect(isUniform(image)).toBe(false);
    const cmp = comparePixels(reference, image, { ignoreAlpha: true });
    if (!cmp.equal) explainMismatch('qemu-firmware', reference, image);
    expect(cmp.differing).toBe(0);
  }, 60_000);
});
