// The shared folder's WebDAV server alone, over in-memory connections (it listens on nothing):
// every method, the read-only mode, the temporary file behind PUT, and every way out of the folder
// (.., encoded forms, symbolic links, absolute URLs, Windows device names) refused with nothing
// touched outside. Then the same server behind the webdav mux, as the guest's frames reach it.
import { parseByteranges } from '../../../helpers/byteranges.ts';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createWebdavServer } from '../../../../src/main/webdav/webdav-server.ts';
import { WebdavMux } from '../../../../src/protocol/channels/port/webdav-mux.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import type { WebdavServer } from '../../../../src/protocol/channels/port/port-handler.ts';
import { muxFrame } from '../../channels/port/port-bodies.ts';
import { waitUntil } from '../../../helpers/wait.ts';

const base = mkdtempSync(join(tmpdir(), 'spicedesk-webdav-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parseReply(raw: Buffer): Reply {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, split).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  return { status: Number(head[0].split(' ')[1]), headers, body: raw.subarray(split + 4).toString('utf8') };
}

/** One request on a connection of its own (Connection: close), its whole reply. */
function request(server: WebdavServer, method: string, path: string, o: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  const body = o.body === undefined ? Buffer.alloc(0) : Buffer.from(o.body);
  const headers = { Host: '127.0.0.1:9843', Connection: 'close', 'Content-Length': String(body.byteLength), ...o.headers };
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    const c = server.connect((b) => parts.push(Buffer.from(b)), () => resolve(parseReply(Buffer.concat(parts))));
    c.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  });
}

function setup(readOnly = false) {
  const dir = join(base, `case-${n++}`);
  const root = join(dir, 'share');
  mkdirSync(join(root, 'docs'), { recursive: true });
  writeFileSync(join(root, 'hello.txt'), 'hello from the host\n');
  writeFileSync(join(dir, 'secret.txt'), 'outside the share\n');
  const server = createWebdavServer({ root, readOnly, logger: silentLogger });
  return { dir, root, server, req: (method: string, path: string, o?: Parameters<typeof request>[3]) => request(server, method, path, o) };
}

describe('the WebDAV server on the shared folder', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => {
    s = setup();
  });

  it('OPTIONS, GET, HEAD, PUT (temp file + rename), DELETE, MKCOL', async () => {
    const options = await s.req('OPTIONS', '/');
    expect(options.status).toBe(200);
    expect(options.headers.dav).toBe('1, 2');
    expect((await s.req('GET', '/hello.txt')).body).toBe('hello from the host\n');
    const head = await s.req('HEAD', '/hello.txt');
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, '20', '']);
    expect((await s.req('GET', '/nothing.txt')).status).toBe(404);
    expect((await s.req('PUT', '/new.txt', { body: 'written by the guest' })).status).toBe(201);
    expect(readFileSync(join(s.root, 'new.txt'), 'utf8')).toBe('written by the guest');
    expect((await s.req('PUT', '/new.txt', { body: 'again' })).status).toBe(204);
    expect(readFileSync(join(s.root, 'new.txt'), 'utf8')).toBe('again');
    expect(readdirSync(s.root).filter((f) => f.endsWith('.part'))).toEqual([]);
    expect((await s.req('PUT', '/missing/new.txt', { body: 'x' })).status).toBe(409);
    expect((await s.req('MKCOL', '/made')).status).toBe(201);
    expect((await s.req('MKCOL', '/made')).status).toBe(405);
    expect((await s.req('MKCOL', '/a/b')).status).toBe(409);
    expect((await s.req('MKCOL', '/body', { body: '<x/>' })).status).toBe(415);
    expect((await s.req('DELETE', '/made')).status).toBe(204);
    expect((await s.req('DELETE', '/new.txt')).status).toBe(204);
    expect((await s.req('DELETE', '/new.txt')).status).toBe(404);
    expect((await s.req('DELETE', '/')).status).toBe(403);
    expect(readdirSync(s.root).sort()).toEqual(['docs', 'hello.txt']);
  });

  it('GET with a Range sends that part (206, Content-Range), several as multipart/byteranges, 416 outside the file, the whole file when If-Range is stale', async () => {
    // Larger than a read buffer, so a range starts and ends inside reads.
    const big = Buffer.alloc(3 * 1024 * 1024 + 12345);
    for (let i = 0; i < big.byteLength; i++) big[i] = (i * 7 + (i >> 11)) & 0xff;
    writeFileSync(join(s.root, 'big.bin'), big);
    const rawGet = async (headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> => {
      const head = `GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
      const raw = await new Promise<Buffer>((resolve) => {
        const parts: Buffer[] = [];
        const c = s.server.connect((b) => parts.push(Buffer.from(b)), () => resolve(Buffer.concat(parts)));
        c.write(Buffer.from(head, 'latin1'));
      });
      const reply = parseReply(raw);
      return { status: reply.status, headers: reply.headers, body: raw.subarray(raw.indexOf('\r\n\r\n') + 4) };
    };
    const whole = await rawGet({});
    expect([whole.status, whole.headers['accept-ranges'], whole.body.equals(big)]).toEqual([200, 'bytes', true]);
    const start = 1024 * 1024 - 100;
    const end = 2 * 1024 * 1024 + 555;
    const piece = await rawGet({ Range: `bytes=${start}-${end}` });
    expect(piece.status).toBe(206);
    expect(piece.headers['content-range']).toBe(`bytes ${start}-${end}/${big.byteLength}`);
    expect(piece.headers['content-length']).toBe(String(end - start + 1));
    expect(piece.body.equals(big.subarray(start, end + 1))).toBe(true);
    const tail = await rawGet({ Range: 'bytes=-1000' });
    expect([tail.status, tail.body.equals(big.subarray(big.byteLength - 1000))]).toEqual([206, true]);
    const outside = await rawGet({ Range: `bytes=${big.byteLength}-` });
    expect([outside.status, outside.headers['content-range']]).toEqual([416, `bytes */${big.byteLength}`]);
    expect(outside.body.toString()).toContain('outside the file');
    // The version the client read before: its ETag gets the range, another gets the whole file.
    const tag = whole.headers.etag;
    expect((await rawGet({ Range: 'bytes=0-9', 'If-Range': tag })).status).toBe(206);
    const stale = await rawGet({ Range: 'bytes=0-9', 'If-Range': '"0-0-0"' });
    expect([stale.status, stale.body.equals(big)]).toEqual([200, true]);
    // HEAD describes the whole file whatever the Range.
    const head = await s.req('HEAD', '/big.bin', { headers: { Range: 'bytes=0-9' } });
    expect([head.status, head.headers['content-length']]).toEqual([200, String(big.byteLength)]);
    // Several ranges: one multipart/byteranges reply, parts in file order, each across reads.
    const asked: [number, number][] = [[2 * 1024 * 1024 - 10, 2 * 1024 * 1024 + 70_000], [5, 1_100_000], [big.byteLength - 7, big.byteLength - 1]];
    const multi = await rawGet({ Range: `bytes=${asked.map(([a, b]) => `${a}-${b}`).join(',')}` });
    expect(multi.status).toBe(206);
    const boundary = /^multipart\/byteranges; boundary=([0-9a-f]{32})$/.exec(multi.headers['content-type'] ?? '')?.[1];
    expect(boundary, multi.headers['content-type']).toBeDefined();
    expect(multi.headers['content-range']).toBeUndefined();
    expect(multi.headers['content-length']).toBe(String(multi.body.byteLength));
    const got = parseByteranges(multi.body, boundary);
    expect(got.map((p) => [p.start, p.end, p.size, p.contentType])).toEqual([...asked].sort((a, b) => a[0] - b[0]).map(([a, b]) => [a, b, big.byteLength, 'application/octet-stream']));
    for (const p of got) expect(p.bytes.equals(big.subarray(p.start, p.end + 1)), `bytes ${p.start}-${p.end}`).toBe(true);
  });

  it('a PUT whose connection is cut leaves the old file whole and no temporary file', async () => {
    writeFileSync(join(s.root, 'keep.txt'), 'the good version');
    const c = s.server.connect(() => {}, () => {});
    c.write(Buffer.from('PUT /keep.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nhalf a fi'));
    await waitUntil('the temporary file', () => readdirSync(s.root).some((f) => f.endsWith('.part')));
    c.end();
    await waitUntil('the temporary file removed', () => !readdirSync(s.root).some((f) => f.endsWith('.part')));
    expect(readFileSync(join(s.root, 'keep.txt'), 'utf8')).toBe('the good version');
  });

  it('a GET whose connection is cut while it waits for the port stops reading and closes the file', async () => {
    const size = 4 * 1024 * 1024;
    writeFileSync(join(s.root, 'big.bin'), Buffer.alloc(size, 7));
    const openOnBig = (): number => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === join(s.root, 'big.bin');
      } catch {
        return false;
      }
    }).length;
    let received = 0;
    let ended = false;
    // A port that never drains: the first reply is taken, then the GET waits.
    const c = s.server.connect((b) => (received += b.byteLength), () => (ended = true), () => true);
    c.write(Buffer.from('GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n'));
    await waitUntil('the first reply', () => received > 0);
    expect(openOnBig()).toBe(1);
    c.end();
    await waitUntil('the file closed', () => openOnBig() === 0);
    expect(ended).toBe(true);
    expect(received).toBeLessThan(size);
  });

  it('COPY and MOVE with Overwrite and Depth', async () => {
    expect((await s.req('COPY', '/hello.txt', { headers: { Destination: 'http://127.0.0.1:9843/docs/copy.txt' } })).status).toBe(201);
    expect(readFileSync(join(s.root, 'docs/copy.txt'), 'utf8')).toBe('hello from the host\n');
    expect((await s.req('COPY', '/hello.txt', { headers: { Destination: '/docs/copy.txt', Overwrite: 'F' } })).status).toBe(412);
    expect((await s.req('COPY', '/hello.txt', { headers: { Destination: '/docs/copy.txt' } })).status).toBe(204);
    expect((await s.req('MOVE', '/docs/copy.txt', { headers: { Destination: '/moved.txt' } })).status).toBe(201);
    expect(existsSync(join(s.root, 'docs/copy.txt'))).toBe(false);
    expect((await s.req('COPY', '/docs', { headers: { Destination: '/docs2', Depth: '0' } })).status).toBe(201);
    expect((await s.req('COPY', '/docs', { headers: { Destination: '/docs/inner' } })).status).toBe(403);
    expect((await s.req('MOVE', '/moved.txt', { headers: { Destination: '/no/such/dir.txt' } })).status).toBe(409);
    expect((await s.req('MOVE', '/moved.txt')).status).toBe(400);
  });

  it('PROPFIND (allprop, named props, Depth 0/1, no infinity) and PROPPATCH of dead properties', async () => {
    const all = await s.req('PROPFIND', '/', { headers: { Depth: '1' } });
    expect(all.status).toBe(207);
    expect(all.body).toContain('<D:href>/docs/</D:href>');
    expect(all.body).toContain('<D:href>/hello.txt</D:href>');
    expect(all.body).toMatch(/<D:href>\/hello.txt<\/D:href><D:propstat><D:prop>.*<D:getcontentlength>20<\/D:getcontentlength>/);
    expect((await s.req('PROPFIND', '/', { headers: { Depth: 'infinity' } })).status).toBe(403);
    const named = await s.req('PROPFIND', '/hello.txt', {
      headers: { Depth: '0' },
      body: '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getcontentlength/><x:color xmlns:x="urn:test"/></prop></propfind>',
    });
    expect(named.body).toContain('<D:getcontentlength>20</D:getcontentlength>');
    expect(named.body).toMatch(/<color xmlns="urn:test"\/><\/D:prop><D:status>HTTP\/1.1 404 Not Found/);
    const patch = await s.req('PROPPATCH', '/hello.txt', {
      body: '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:x="urn:test"><D:set><D:prop><x:color>blue &amp; green</x:color></D:prop></D:set></D:propertyupdate>',
    });
    expect(patch.status).toBe(207);
    expect(patch.body).toContain('HTTP/1.1 200 OK');
    const again = await s.req('PROPFIND', '/hello.txt', { headers: { Depth: '0' }, body: '<propfind xmlns="DAV:"><prop><color xmlns="urn:test"/></prop></propfind>' });
    expect(again.body).toContain('<color xmlns="urn:test">blue &amp; green</color>');
    const live = await s.req('PROPPATCH', '/hello.txt', { body: '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:getetag>x</D:getetag></D:prop></D:set></D:propertyupdate>' });
    expect(live.body).toContain('403 Forbidden');
    expect((await s.req('PROPFIND', '/', { headers: { Depth: '0' }, body: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><propfind xmlns="DAV:"/>' })).status).toBe(400);
    expect((await s.req('PROPFIND', '/', { headers: { Depth: '0' }, body: '<propfind xmlns="DAV:"><prop>' })).status).toBe(400);
  });

  it('LOCK hands out a token, UNLOCK takes it back; LOCK of a new name creates it', async () => {
    const lockinfo = '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>';
    const locked = await s.req('LOCK', '/hello.txt', { body: lockinfo });
    expect(locked.status).toBe(200);
    const token = locked.headers['lock-token'];
    expect(token).toMatch(/^<opaquelocktoken:[0-9a-f-]{36}>$/);
    expect(locked.body).toContain(token.slice(1, -1));
    expect((await s.req('UNLOCK', '/hello.txt', { headers: { 'Lock-Token': '<opaquelocktoken:wrong>' } })).status).toBe(409);
    expect((await s.req('UNLOCK', '/hello.txt', { headers: { 'Lock-Token': token } })).status).toBe(204);
    expect((await s.req('LOCK', '/fresh.txt', { body: lockinfo })).status).toBe(201);
    expect(existsSync(join(s.root, 'fresh.txt'))).toBe(true);
  });

  it('nothing outside the folder is reachable: .., encoded forms, links out, absolute URLs, device names', async () => {
    symlinkSync(join(s.dir, 'secret.txt'), join(s.root, 'link-out'));
    symlinkSync(s.dir, join(s.root, 'dir-out'));
    symlinkSync(join(s.dir, 'not-there.txt'), join(s.root, 'dangling'));
    symlinkSync(join(s.root, 'hello.txt'), join(s.root, 'link-in'));
    const attempts: [string, string, number[]][] = [
      ['GET', '/../secret.txt', [403]],
      ['GET', '/docs/../../secret.txt', [403]],
      ['GET', '/%2e%2e/secret.txt', [403]],
      ['GET', '/%2E%2E%2Fsecret.txt', [403]],
      ['GET', '/..%5csecret.txt', [403]],
      ['GET', '/%252e%252e/secret.txt', [404]],
      ['GET', '/link-out', [403]],
      ['GET', '/dir-out/secret.txt', [403]],
      ['PUT', '/dir-out/planted.txt', [403]],
      ['PUT', '/dangling', [403]],
      ['GET', 'http://127.0.0.1:9843/../secret.txt', [403, 404]],
      ['GET', '/C:/Windows/win.ini', [403]],
      ['PUT', '/CON', [403]],
      ['PUT', '/nul.txt', [403]],
      ['PUT', '/docs/com1', [403]],
      ['GET', '/%00', [400]],
      ['GET', '/%zz', [400]],
      ['GET', '//etc/passwd', [404]],
    ];
    for (const [method, path, statuses] of attempts) {
      const r = await s.req(method, path, { body: method === 'PUT' ? 'planted' : undefined });
      expect({ path, status: r.status }).toEqual({ path, status: expect.toSatisfy((x: number) => statuses.includes(x)) });
      expect(r.body).not.toContain('outside the share');
    }
    expect((await s.req('COPY', '/hello.txt', { headers: { Destination: '/../copied.txt' } })).status).toBe(403);
    expect((await s.req('MOVE', '/hello.txt', { headers: { Destination: '/dir-out/moved.txt' } })).status).toBe(403);
    expect((await s.req('GET', '/link-in')).body).toBe('hello from the host\n');
    expect(readdirSync(s.dir).sort()).toEqual(['secret.txt', 'share']);
    expect(readFileSync(join(s.dir, 'secret.txt'), 'utf8')).toBe('outside the share\n');
    expect(existsSync(join(s.root, 'CON'))).toBe(false);
  });

  it('read-only refuses every method that writes with 403 and still reads', async () => {
    const ro = setup(true);
    for (const method of ['PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPPATCH', 'LOCK', 'UNLOCK']) {
      const r = await ro.req(method, '/hello.txt', { headers: { Destination: '/x.txt' }, body: method === 'PUT' ? 'overwrite' : undefined });
      expect({ method, status: r.status }).toEqual({ method, status: 403 });
    }
    expect((await ro.req('GET', '/hello.txt')).body).toBe('hello from the host\n');
    expect((await ro.req('PROPFIND', '/', { headers: { Depth: '1' } })).status).toBe(207);
    expect(readdirSync(ro.root).sort()).toEqual(['docs', 'hello.txt']);
    expect(readFileSync(join(ro.root, 'hello.txt'), 'utf8')).toBe('hello from the host\n');
  });
});

describe('the mux in front of the server', () => {
  it('carries two interleaved guest connections as frames and closes each with a size-0 frame', async () => {
    const s = setup();
    const out: Uint8Array[] = [];
    const mux = new WebdavMux({ write: (b) => out.push(b.slice()), sendEvent: () => {}, log: silentLogger, channelName: 'webdav' }, s.server);
    mux.opened();
    const a = Buffer.from('GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n');
    const b = Buffer.from('PROPFIND / HTTP/1.1\r\nHost: x\r\nDepth: 0\r\nContent-Length: 0\r\n\r\n');
    const stream = Buffer.concat([muxFrame(-995229200n, a.subarray(0, 10)), muxFrame(42n, b), muxFrame(-995229200n, a.subarray(10))]);
    for (let i = 0; i < stream.byteLength; i += 5) mux.data(stream.subarray(i, i + 5));
    const frames = () => {
      const all = Buffer.concat(out);
      const list: { id: bigint; body: Buffer }[] = [];
      for (let o = 0; o + 10 <= all.byteLength; ) {
        const size = all.readUInt16LE(o + 8);
        list.push({ id: all.readBigInt64LE(o), body: all.subarray(o + 10, o + 10 + size) });
        o += 10 + size;
      }
      return list;
    };
    const text = (id: bigint) => Buffer.concat(frames().filter((f) => f.id === id).map((f) => f.body)).toString();
    await waitUntil('both replies', () => text(-995229200n).includes('hello from the host') && text(42n).includes('</D:multistatus>'));
    expect(text(-995229200n)).toMatch(/^HTTP\/1.1 200 OK/);
    expect(text(42n)).toMatch(/^HTTP\/1.1 207/);
    expect(mux.openConnections).toBe(2);
    mux.data(muxFrame(42n, new Uint8Array(0)));
    await waitUntil('the size-0 answer', () => frames().some((f) => f.id === 42n && f.body.byteLength === 0));
    expect(mux.openConnections).toBe(1);
    mux.closed();
    expect(mux.openConnections).toBe(0);
  });

  it('without a shared folder every guest connection is closed at once', () => {
    const out: Buffer[] = [];
    const mux = new WebdavMux({ write: (b) => out.push(Buffer.from(b)), sendEvent: () => {}, log: silentLogger, channelName: 'webdav' }, undefined);
    mux.data(muxFrame(5n, 'GET / HTTP/1.1\r\n\r\n'));
    expect(Buffer.concat(out)).toEqual(Buffer.from(muxFrame(5n, new Uint8Array(0))));
    expect(mux.counts.refused).toBe(1);
  });
});
