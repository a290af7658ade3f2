// The page's folder chooser on the host (page-folders.ts) and the switch the session's WebDAV
// serves from (shared-folder-switch.ts): browsing stays under the root, a symbolic link out of it
// is neither listed nor shared, a choice changes what a guest connection reaches (and read-only
// refuses a write with 403), stopping closes open connections and refuses new ones, and a page
// that may not choose (kiosk) changes nothing.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import type { FolderListMessage, FolderStateMessage } from '../../../../src/protocol/bridge/folder-messages.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { WebdavServer } from '../../../../src/protocol/channels/port/port-handler.ts';
import { PageFolders } from '../../../../src/main/host/page-folders.ts';
import { waitFor } from '../../../helpers/wait.ts';

const base = mkdtempSync(join(tmpdir(), 'spicedesk-page-folders-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

function setup() {
  const dir = join(base, `case-${n++}`);
  const home = join(dir, 'home');
  const outside = join(dir, 'outside');
  mkdirSync(join(home, 'Public', 'deep'), { recursive: true });
  mkdirSync(join(home, 'Documents'), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), 'secret\n');
  writeFileSync(join(home, 'file.txt'), 'not a folder\n');
  symlinkSync(outside, join(home, 'out'));
  symlinkSync(join(home, 'Documents'), join(home, 'docs-link'));
  const sent: HostMessage[] = [];
  const folders = new PageFolders((m) => sent.push(m), silentLogger, home);
  const lastState = (): FolderStateMessage => sent.filter((m): m is FolderStateMessage => m.kind === 'folder-state').at(-1)!;
  const nextList = async (from: number): Promise<FolderListMessage> =>
    waitFor('a FOLDER_LIST', () => sent.slice(from).find((m): m is FolderListMessage => m.kind === 'folder-list'));
  return { home, outside, sent, folders, lastState, nextList };
}

/** One HTTP request through the switch, as the guest's mux connection would send it. */
function request(server: WebdavServer, method: string, path: string, body = ''): Promise<{ status: number; raw: string }> {
  const head = `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    const c = server.connect((b) => parts.push(Buffer.from(b)), () => {
      const raw = Buffer.concat(parts).toString();
      resolve({ status: raw ? Number(raw.split(' ')[1]) : 0, raw });
    });
    c.write(Buffer.from(head + body));
  });
}

/** A request to a switch with nothing shared: the reply comes, the connection stays for the guest to close. */
async function requestUntilReply(server: WebdavServer, method: string, path: string): Promise<string> {
  const parts: Buffer[] = [];
  let ended = false;
  const c = server.connect((b) => parts.push(Buffer.from(b)), () => (ended = true));
  c.write(Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
  c.write(Buffer.from('more bytes of the same request'));
  const raw = await waitFor('a reply', () => (parts.length ? Buffer.concat(parts).toString() : undefined));
  expect(ended).toBe(false);
  c.end();
  return raw;
}

describe('the page folder chooser on the host', () => {
  it('starts from the command line setting, lists only folders under the root, links out left out', async () => {
    const t = setup();
    t.folders.setTarget(undefined, true);
    expect(t.lastState()).toMatchObject({ offered: true, shared: '', root: t.home });
    let from = t.sent.length;
    t.folders.handle({ kind: 'folder-browse', path: '' });
    expect(await t.nextList(from)).toEqual({ kind: 'folder-list', path: '', folders: ['Documents', 'Public', 'docs-link'], note: '' });
    from = t.sent.length;
    t.folders.handle({ kind: 'folder-browse', path: 'out' });
    expect((await t.nextList(from)).note).toMatch(/"out" leads outside/);
    from = t.sent.length;
    t.folders.handle({ kind: 'folder-browse', path: 'missing' });
    expect((await t.nextList(from)).note).toMatch(/no folder "missing"/);
    from = t.sent.length;
    t.folders.handle({ kind: 'folder-browse', path: '../outside' });
    expect((await t.nextList(from)).note).toMatch(/"\.\." in the path/);
  });

  it('browses a root that was missing for a while once it is back', async () => {
    const dir = join(base, `case-${n++}`);
    const home = join(dir, 'home');
    const sent: HostMessage[] = [];
    const folders = new PageFolders((m) => sent.push(m), silentLogger, home);
    folders.setTarget(undefined, true);
    let from = sent.length;
    folders.handle({ kind: 'folder-browse', path: '' });
    const first = await waitFor('a FOLDER_LIST', () => sent.slice(from).find((m): m is FolderListMessage => m.kind === 'folder-list'));
    expect(first.folders).toEqual([]);
    expect(first.note).not.toBe('');
    mkdirSync(join(home, 'Public'), { recursive: true });
    from = sent.length;
    folders.handle({ kind: 'folder-browse', path: '' });
    const second = await waitFor('a FOLDER_LIST', () => sent.slice(from).find((m): m is FolderListMessage => m.kind === 'folder-list'));
    expect(second).toEqual({ kind: 'folder-list', path: '', folders: ['Public'], note: '' });
  });

  it('shares the chosen folder on the running switch, read-only refuses writes, stop closes it', async () => {
    const t = setup();
    t.folders.setTarget(undefined, true);
    // Nothing shared: a guest request is answered 503 at once (spice-webdavd would not pass a close on).
    expect(await requestUntilReply(t.folders.folder, 'PROPFIND', '/')).toMatch(/^HTTP\/1\.1 503 [\s\S]*Connection: close[\s\S]*no folder is shared now\n$/);
    t.folders.handle({ kind: 'folder-share', path: 'Public', readOnly: false });
    await waitFor('the share', () => t.lastState().shared || undefined);
    expect(t.lastState()).toMatchObject({ shared: join(t.home, 'Public'), readOnly: false, note: '' });
    expect((await request(t.folders.folder, 'PUT', '/new.txt', 'from the guest\n')).status).toBe(201);
    expect(readFileSync(join(t.home, 'Public', 'new.txt'), 'utf8')).toBe('from the guest\n');
    t.folders.handle({ kind: 'folder-share', path: 'Public', readOnly: true });
    await waitFor('read-only', () => t.lastState().readOnly || undefined);
    expect((await request(t.folders.folder, 'PUT', '/other.txt', 'x')).status).toBe(403);
    expect(existsSync(join(t.home, 'Public', 'other.txt'))).toBe(false);
    expect((await request(t.folders.folder, 'GET', '/new.txt')).raw).toMatch(/from the guest/);
    // A connection open when sharing stops is closed (its `ended` is called).
    let ended = false;
    t.folders.folder.connect(() => {}, () => (ended = true));
    t.folders.handle({ kind: 'folder-stop' });
    await waitFor('stopped', () => (t.lastState().shared === '' ? true : undefined));
    expect(ended).toBe(true);
    expect(await requestUntilReply(t.folders.folder, 'GET', '/new.txt')).toMatch(/^HTTP\/1\.1 503 /);
  });

  it('refuses sharing a link out, a file, and the root stays shareable', async () => {
    const t = setup();
    t.folders.setTarget(undefined, true);
    t.folders.handle({ kind: 'folder-share', path: 'out', readOnly: false });
    await waitFor('a refusal', () => t.lastState().note || undefined);
    expect(t.lastState()).toMatchObject({ shared: '', note: expect.stringMatching(/leads outside/) });
    t.folders.handle({ kind: 'folder-share', path: 'file.txt', readOnly: false });
    await waitFor('not a folder', () => (/not a folder/.test(t.lastState().note) ? true : undefined));
    expect(t.folders.folder.setting).toBeUndefined();
    t.folders.handle({ kind: 'folder-share', path: 'docs-link', readOnly: true });
    await waitFor('the link inside shared', () => t.lastState().shared || undefined);
    expect(t.folders.folder.setting).toEqual({ dir: join(t.home, 'Documents'), readOnly: true });
  });

  it('a page that may not choose (kiosk) keeps the command line folder, or none', async () => {
    const t = setup();
    t.folders.setTarget({ dir: t.outside, readOnly: true }, false);
    expect(t.lastState()).toMatchObject({ offered: false, shared: t.outside, readOnly: true });
    const from = t.sent.length;
    t.folders.handle({ kind: 'folder-stop' });
    t.folders.handle({ kind: 'folder-share', path: 'Public', readOnly: false });
    t.folders.handle({ kind: 'folder-browse', path: '' });
    await waitFor('three refusals', () => (t.sent.slice(from).filter((m) => m.kind === 'folder-state').length === 3 ? true : undefined));
    expect(t.lastState().note).toMatch(/may not choose/);
    expect(t.sent.some((m) => m.kind === 'folder-list')).toBe(false);
    expect(t.folders.folder.setting).toEqual({ dir: t.outside, readOnly: true });
    expect((await request(t.folders.folder, 'GET', '/secret.txt')).raw).toMatch(/secret/);
  });
});
