import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareWindowTarget } from '../../../../src/main/electron/window-target.ts';
import { describe, expect, it } from 'vitest';
import { checkClientVersion, clientVersionIds, SPICEDESK_VERSION } from '../../../../src/main/connect/version-check.ts';
import { planConnection } from '../../../../src/main/connect/connector.ts';
import { parseVvFile } from '../../../../src/protocol/profile/index.ts';
import { recordingLogger } from '../../../helpers/logger.ts';

const vv = (...keys: string[]) => parseVvFile(['[virt-viewer]', 'type=spice', 'host=127.0.0.1', 'port=5900', ...keys, ''].join('\n'));

describe('client version ids', () => {
  it('spicedesk-<os> first, then spicedesk', () => {
    expect(clientVersionIds('linux')).toEqual(['spicedesk-linux', 'spicedesk']);
    expect(clientVersionIds('win32')).toEqual(['spicedesk-windows', 'spicedesk']);
    expect(clientVersionIds('darwin')).toEqual(['spicedesk-macos', 'spicedesk']);
    expect(clientVersionIds('freebsd')).toEqual(['spicedesk-freebsd', 'spicedesk']);
  });

  it("this build's version is package.json's", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(SPICEDESK_VERSION).toBe(pkg.version);
  });
});

describe('checkClientVersion', () => {
  const linux = { platform: 'linux' as const };

  it('too old: a usage error naming the required version, ours and the newer-version-url', () => {
    const p = vv('versions=spicedesk:0.3', 'newer-version-url=https://example.org/get-spicedesk');
    expect(() => checkClientVersion(p, { ...linux, version: '0.2.9' })).toThrow(
      'at least spicedesk version 0.3 is required to set up this connection (this is 0.2.9; the file asks for it with versions=spicedesk:0.3); see https://example.org/get-spicedesk for details',
    );
    try {
      checkClientVersion(p, { ...linux, version: '0.2.9' });
    } catch (e) {
      expect(e).toMatchObject({ kind: 'usage' });
    }
  });

  it('new enough, or equal: nothing happens', () => {
    const p = vv('versions=spicedesk:0.3');
    expect(() => checkClientVersion(p, { ...linux, version: '0.3' })).not.toThrow();
    expect(() => checkClientVersion(p, { ...linux, version: '0.10.0' })).not.toThrow();
  });

  it('the platform entry wins over the generic one, in both directions', () => {
    const p = vv('versions=spicedesk:9.0;spicedesk-linux:0.1');
    expect(() => checkClientVersion(p, { ...linux, version: '0.1.0' })).not.toThrow();
    expect(() => checkClientVersion(p, { platform: 'win32', version: '0.1.0' })).toThrow(/version 9\.0 is required.*versions=spicedesk:9\.0/);
    const q = vv('versions=spicedesk:0.1;spicedesk-macos:2.0');
    expect(() => checkClientVersion(q, { platform: 'darwin', version: '0.1.0' })).toThrow(/versions=spicedesk-macos:2\.0/);
  });

  it("other clients' ids and the version key are ignored, with a debug line", () => {
    const lines: string[] = [];
    const p = vv('version=99.0', 'versions=rhev-win64:99.0-160;rhel8:99.0');
    expect(() => checkClientVersion(p, { ...linux, version: '0.1.0', logger: recordingLogger(lines) })).not.toThrow();
    expect(lines).toEqual([
      'debug: minimum versions for other clients ignored (spicedesk reads spicedesk-linux, spicedesk)',
      'debug: the "version" key is the minimum remote-viewer version; ignored',
    ]);
  });

  it('without a newer-version-url, or with one that is not http(s), the message says no URL', () => {
    expect(() => checkClientVersion(vv('versions=spicedesk:1.0'), { ...linux, version: '0.1.0' })).toThrow(/versions=spicedesk:1\.0\)$/);
    const js = vv('versions=spicedesk:1.0', 'newer-version-url=javascript:alert(1)');
    expect(() => checkClientVersion(js, { ...linux, version: '0.1.0' })).toThrow(/newer-version-url is not an http\(s\) URL, so it is not shown/);
  });

  it('an unreadable minimum for spicedesk is a usage error that quotes it', () => {
    const p = vv('versions=spicedesk:1.0beta');
    expect(() => checkClientVersion(p, { ...linux, version: '0.1.0' })).toThrow(/asks for spicedesk version "1\.0beta" .* not a version such as 1\.2/);
  });

  it('planConnection refuses a too-old client before anything connects', () => {
    const p = vv(`versions=${clientVersionIds()[0]}:1000.0`);
    expect(() => planConnection(p, { timeoutMs: 1000, env: {} })).toThrow(/at least spicedesk version 1000\.0 is required/);
    expect(() => planConnection(p, { timeoutMs: 1000, env: {}, clientVersion: '1000.0.1' })).not.toThrow();
  });
});

describe('the desktop window with a too-old client', () => {
  it("gets the refusal as its status-line error instead of a session", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spicedesk-versions-'));
    try {
      const path = join(dir, 'new.vv');
      writeFileSync(path, `[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=5900\nversions=spicedesk:1000.0\nnewer-version-url=https://example.org/dl\n`);
      const prepared = await prepareWindowTarget(path, { timeoutMs: 1000, env: {} });
      expect(prepared).toMatchObject({ ok: false, errorKind: 'usage' });
      expect(prepared.ok ? '' : prepared.message).toMatch(/^at least spicedesk version 1000\.0 is required .*; see https:\/\/example\.org\/dl for details$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
