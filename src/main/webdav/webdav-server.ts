// The WebDAV server on the shared folder, for folder sharing (the webdav channel's mux, see
// protocol/channels/port/webdav-mux.ts). It never listens on a socket: each guest connection is an
// in-memory stream handed to a Node HTTP server that is never started (`emit('connection')`), so
// nothing on the network can reach it. Methods: OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE,
// PROPFIND, PROPPATCH, LOCK, UNLOCK (RFC 4918 class 1 and 2: write locks, exclusive or shared, are
// enforced, and If headers checked; dav-locks.ts). Every path goes through SharedFolder (nothing outside the folder);
// read-only refuses every method that writes with 403; PUT writes a temporary file beside the
// target and renames it over, so a cut connection never leaves half a file in its place.
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { cp, lstat, mkdir, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { Duplex } from 'node:stream';
import type { WebdavConnection, WebdavServer } from '../../protocol/channels/port/port-handler.ts';
import type { Logger } from '../../protocol/logger.ts';
import { BatchedFileWriter, receiveBody } from './batched-file-writer.ts';
import { answerRange, multipartByteranges } from './byte-range.ts';
import { sendFile } from './file-sender.ts';
import { takeSentHook } from './read-buffers.ts';
import { child, DAV, escapeXml, parseXml, XmlError, type XmlElement } from './dav-xml.ts';
import { IfHeaderError, lockTimeout, LockTable, parseIfHeader, type DavLock } from './dav-locks.ts';
import { pathSegments, PathRefused, SharedFolder, type SharedPath } from './shared-path.ts';

export interface WebdavServerOptions {
  /** The shared folder. */
  root: string;
  readOnly: boolean;
  logger: Logger;
}

/** An XML request body larger than this is refused (413): property requests are a few hundred bytes. */
export const MAX_XML_BODY = 1 << 20;

const WRITE_METHODS = new Set(['PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPPATCH', 'LOCK', 'UNLOCK']);
const ALLOW = 'OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK';
/** Temporary files of PUTs in progress: hidden from listings. */
const PART_FILE = /^\.spicedesk-.*\.part$/;

class HttpStatus extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** How much of a guest connection's bytes are gathered before the HTTP server sees them. */
const GATHER_BYTES = 256 * 1024;
/** A gathered piece this large goes to the parser alone, not joined with others. */
const LARGE_PIECE = 16 * 1024;

/** One guest connection as a stream the HTTP server reads and writes. */
class MemorySocket extends Duplex {
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 0;
  readonly encrypted = false;
  private ended = false;

  constructor(
    private readonly reply: (bytes: Uint8Array, sent?: () => void) => void,
    private readonly onEnd: () => void,
    private readonly mustWait: ((resume: () => void) => boolean) | undefined,
  ) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.ended) return done();
    // A GET's read buffer comes back to its pool once the port has its bytes out (read-buffers.ts).
    this.reply(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), takeSentHook(chunk));
    // Holding `done` is the back-pressure: the response's writes then return false and a GET's
    // file stream stops reading until the port has drained.
    if (this.mustWait?.(() => done())) return;
    done();
  }

  override _final(done: () => void): void {
    this.finish();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.finish();
    done(error);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
  }

  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

type DeadProps = Map<string, { ns: string; name: string; value: string }>;

export function createWebdavServer(o: WebdavServerOptions): WebdavServer & { close(): void } {
  const folder = new SharedFolder(o.root);
  const log = o.logger.child({ part: 'webdav' });
  /** PROPPATCH's properties, by path, for the life of the process (phodav keeps them in xattrs). */
  const deadProps = new Map<string, DeadProps>();
  const locks = new LockTable();
  const sockets = new Set<MemorySocket>();
  const http = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpStatus ? e.status : e instanceof PathRefused ? e.status : statusOfFsError(e);
      if (status === 500) log.warn({ method: req.method, err: (e as Error).message }, `WebDAV ${req.method} failed: ${(e as Error).message}`);
      if (!res.headersSent) send(res, status, status >= 400 ? `${(e as Error).message}\n` : undefined);
      else res.destroy();
    });
  });
  http.keepAliveTimeout = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? '';
    // A fragment is the client's own business and never part of a request target (RFC 9110 7.1):
    // one sent anyway is refused rather than cut off, so DELETE /dir/#x cannot remove /dir/.
    if ((req.url ?? '').includes('#')) throw new HttpStatus(400, 'a fragment (#) in the request target');
    const target = await folder.resolve(requestPath(req.url ?? '/'));
    log.debug({ method, path: '/' + target.segments.join('/') }, 'WebDAV request');
    if (o.readOnly && WRITE_METHODS.has(method)) throw new HttpStatus(403, 'the shared folder is read-only');
    const submitted = await checkIf(req, target);
    await checkLocks(req, method, target, submitted);
    switch (method) {
      case 'OPTIONS':
        res.setHeader('DAV', '1, 2');
        res.setHeader('MS-Author-Via', 'DAV');
        res.setHeader('Allow', o.readOnly ? 'OPTIONS, GET, HEAD, PROPFIND' : ALLOW);
        return send(res, 200);
      case 'GET':
      case 'HEAD':
        return get(req, res, target, method === 'HEAD');
      case 'PUT':
        return put(req, res, target);
      case 'DELETE':
        if (!target.segments.length) throw new HttpStatus(403, 'the shared folder itself cannot be deleted');
        await lstat(target.file);
        await rm(target.file, { recursive: true });
        forgetProps(target);
        return send(res, 204);
      case 'MKCOL':
        return mkcol(req, res, target);
      case 'COPY':
      case 'MOVE':
        return copyOrMove(req, res, target, method === 'MOVE');
      case 'PROPFIND':
        return propfind(req, res, target);
      case 'PROPPATCH':
        return proppatch(req, res, target);
      case 'LOCK':
        return lock(req, res, target, submitted);
      case 'UNLOCK': {
        const token = /<([^>]+)>/.exec(String(req.headers['lock-token'] ?? ''))?.[1];
        if (!token || !locks.covering(pathKey(target)).some((l) => l.token === token)) throw new HttpStatus(409, 'no such lock on this resource');
        locks.release(token);
        return send(res, 204);
      }
      default:
        res.setHeader('Allow', ALLOW);
        throw new HttpStatus(405, `method ${method} is not served`);
    }
  }

  async function get(req: IncomingMessage, res: ServerResponse, target: SharedPath, headOnly: boolean): Promise<void> {
    const st = await stat(target.file);
    if (st.isDirectory()) {
      const names = (await readdir(target.file)).filter((n) => !PART_FILE.test(n)).sort();
      const body = `<!DOCTYPE html><html><body><ul>${names.map((n) => `<li><a href="${escapeXml(encodeURIComponent(n))}">${escapeXml(n)}</a></li>`).join('')}</ul></body></html>\n`;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return send(res, 200, headOnly ? undefined : body, Buffer.byteLength(body));
    }
    if (!st.isFile()) throw new HttpStatus(403, 'not a regular file');
    const tag = etag(st);
    const lastModified = st.mtime.toUTCString();
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Last-Modified', lastModified);
    res.setHeader('ETag', tag);
    res.setHeader('Accept-Ranges', 'bytes');
    // A Range applies to GET only (RFC 9110 14.2): HEAD describes the whole file.
    // Several If-Range headers join into a value no version has: the whole file.
    const ifRangeHeader = req.headers['if-range'];
    const ifRange = Array.isArray(ifRangeHeader) ? ifRangeHeader.join(', ') : ifRangeHeader;
    const answer = headOnly ? ({ kind: 'whole' } as const) : answerRange(req.headers.range, st.size, { value: ifRange, etag: tag, lastModified });
    if (answer.kind === 'unsatisfiable') {
      // The reply's body is the sentence, not the file.
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.setHeader('Content-Range', `bytes */${st.size}`);
      throw new HttpStatus(416, `the range ${req.headers.range ?? ''} is outside the file (${st.size} bytes)`);
    }
    if (answer.kind === 'parts') {
      const reply = multipartByteranges(answer.ranges, st.size);
      res.statusCode = 206;
      res.setHeader('Content-Type', reply.contentType);
      res.setHeader('Content-Length', reply.length);
      return sendFile(res, target.file, reply.parts, reply.after);
    }
    const part = answer.kind === 'part' ? { start: answer.range.start, length: answer.range.end - answer.range.start + 1 } : { start: 0, length: st.size };
    res.statusCode = answer.kind === 'part' ? 206 : 200;
    if (answer.kind === 'part') res.setHeader('Content-Range', `bytes ${answer.range.start}-${answer.range.end}/${st.size}`);
    res.setHeader('Content-Length', part.length);
    if (headOnly) return void res.end();
    // GET_READ_BYTES reads on the main thread: each goes out as full 64 KiB port messages in one
    // writev (64 KiB reads gave a frame of 65535 bytes and one of 1 byte per read; file-sender.ts).
    await sendFile(res, target.file, [part]);
  }

  async function put(req: IncomingMessage, res: ServerResponse, target: SharedPath): Promise<void> {
    if (!target.segments.length) throw new HttpStatus(405, 'the shared folder is a collection');
    const existing = await stat(target.file).catch(() => null);
    if (existing?.isDirectory()) throw new HttpStatus(405, 'a collection cannot be written as a file');
    const parent = await stat(dirname(target.file)).catch(() => null);
    if (!parent?.isDirectory()) throw new HttpStatus(409, 'the parent collection does not exist');
    const temp = join(dirname(target.file), `.spicedesk-${randomBytes(6).toString('hex')}.part`);
    const file = await BatchedFileWriter.open(temp, 'wx', existing ? existing.mode & 0o777 : 0o644);
    try {
      await receiveBody(req, file);
      await rename(temp, target.file);
    } catch (e) {
      await file.abandon();
      await unlink(temp).catch(() => {});
      throw e;
    }
    send(res, existing ? 204 : 201);
  }

  async function mkcol(req: IncomingMessage, res: ServerResponse, target: SharedPath): Promise<void> {
    const body = await readBody(req);
    if (body.byteLength) throw new HttpStatus(415, 'MKCOL takes no body');
    if (await lstat(target.file).then(() => true, () => false)) throw new HttpStatus(405, 'it exists already');
    const parent = await stat(dirname(target.file)).catch(() => null);
    if (!parent?.isDirectory()) throw new HttpStatus(409, 'the parent collection does not exist');
    await mkdir(target.file);
    send(res, 201);
  }

  async function copyOrMove(req: IncomingMessage, res: ServerResponse, source: SharedPath, move: boolean): Promise<void> {
    const header = req.headers.destination;
    if (typeof header !== 'string') throw new HttpStatus(400, 'no Destination header');
    const dest = await folder.resolve(requestPath(header));
    if (!source.segments.length || !dest.segments.length) throw new HttpStatus(403, 'the shared folder itself cannot be copied, moved or replaced');
    const inside = dest.segments.length >= source.segments.length && source.segments.every((s, i) => s === dest.segments[i]);
    if (inside) throw new HttpStatus(403, 'the destination is the source or inside it');
    const st = await lstat(source.file);
    const parent = await stat(dirname(dest.file)).catch(() => null);
    if (!parent?.isDirectory()) throw new HttpStatus(409, 'the destination\'s parent collection does not exist');
    const exists = await lstat(dest.file).then(() => true, () => false);
    if (exists) {
      if (String(req.headers.overwrite ?? 'T').toUpperCase() === 'F') throw new HttpStatus(412, 'the destination exists and Overwrite is F');
      await rm(dest.file, { recursive: true });
      forgetProps(dest);
    }
    if (move) {
      await rename(source.file, dest.file);
      moveProps(source, dest, true);
      // Locks stay where they were taken: the moved resource arrives unlocked (RFC 4918 7.7).
      locks.forget(pathKey(source));
    } else if (st.isDirectory() && req.headers.depth === '0') {
      await mkdir(dest.file);
      moveProps(source, dest, false, true);
    } else {
      await cp(source.file, dest.file, { recursive: true, errorOnExist: true, force: false, verbatimSymlinks: true });
      moveProps(source, dest, false);
    }
    send(res, exists ? 204 : 201);
  }

  async function propfind(req: IncomingMessage, res: ServerResponse, target: SharedPath): Promise<void> {
    const depth = String(req.headers.depth ?? 'infinity');
    if (depth !== '0' && depth !== '1') {
      res.setHeader('Content-Type', 'application/xml; charset=utf-8');
      return send(res, 403, '<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>\n');
    }
    const body = await readBody(req);
    let mode: 'allprop' | 'propname' | 'prop' = 'allprop';
    let wanted: { ns: string; name: string }[] = [];
    if (body.byteLength) {
      const root = xmlBody(body);
      if (root.ns !== DAV || root.name !== 'propfind') throw new HttpStatus(400, 'the body is not a DAV:propfind');
      const prop = child(root, 'prop');
      if (child(root, 'propname')) mode = 'propname';
      else if (prop) {
        mode = 'prop';
        wanted = prop.children.map((c) => ({ ns: c.ns, name: c.name }));
      }
    }
    const st = await stat(target.file);
    const entries: [SharedPath, Stats][] = [[target, st]];
    if (depth === '1' && st.isDirectory()) {
      for (const name of (await readdir(target.file)).sort()) {
        if (PART_FILE.test(name)) continue;
        const entry = { file: join(target.file, name), segments: [...target.segments, name] };
        const est = await stat(entry.file).catch(() => null);
        if (est) entries.push([entry, est]);
      }
    }
    const responses = entries.map(([p, s]) => propResponse(p, s, mode, wanted)).join('');
    multistatus(res, responses);
  }

  function propResponse(p: SharedPath, st: Stats, mode: 'allprop' | 'propname' | 'prop', wanted: { ns: string; name: string }[]): string {
    const live = liveProps(p, st, locks.covering(pathKey(p)));
    const dead = deadProps.get(pathKey(p)) ?? new Map();
    const found: string[] = [];
    const missing: string[] = [];
    if (mode === 'allprop' || mode === 'propname') {
      for (const [name, value] of Object.entries(live)) found.push(mode === 'propname' ? `<D:${name}/>` : `<D:${name}>${value}</D:${name}>`);
      for (const d of dead.values()) found.push(mode === 'propname' ? element(d.ns, d.name, '') : element(d.ns, d.name, escapeXml(d.value)));
    } else {
      for (const w of wanted) {
        const d = dead.get(`{${w.ns}}${w.name}`);
        if (w.ns === DAV && Object.hasOwn(live, w.name)) found.push(`<D:${w.name}>${live[w.name]}</D:${w.name}>`);
        else if (d) found.push(element(d.ns, d.name, escapeXml(d.value)));
        else missing.push(element(w.ns, w.name, ''));
      }
    }
    const propstat = (props: string[], status: string) => (props.length ? `<D:propstat><D:prop>${props.join('')}</D:prop><D:status>HTTP/1.1 ${status}</D:status></D:propstat>` : '');
    return `<D:response><D:href>${escapeXml(href(p, st.isDirectory()))}</D:href>${propstat(found, '200 OK')}${propstat(missing, '404 Not Found')}</D:response>`;
  }

  async function proppatch(req: IncomingMessage, res: ServerResponse, target: SharedPath): Promise<void> {
    await stat(target.file);
    const root = xmlBody(await readBody(req));
    if (root.ns !== DAV || root.name !== 'propertyupdate') throw new HttpStatus(400, 'the body is not a DAV:propertyupdate');
    const key = pathKey(target);
    const props = new Map(deadProps.get(key) ?? []);
    const names: string[] = [];
    let refused = false;
    for (const op of root.children) {
      if (op.ns !== DAV || (op.name !== 'set' && op.name !== 'remove')) continue;
      for (const p of child(op, 'prop')?.children ?? []) {
        names.push(element(p.ns, p.name, ''));
        if (p.ns === DAV) refused = true;
        else if (op.name === 'set') props.set(`{${p.ns}}${p.name}`, { ns: p.ns, name: p.name, value: textOf(p) });
        else props.delete(`{${p.ns}}${p.name}`);
      }
    }
    // All or nothing: a DAV: (live) property cannot be set, and then nothing is.
    if (!refused) deadProps.set(key, props);
    const status = refused ? '403 Forbidden' : '200 OK';
    multistatus(res, `<D:response><D:href>${escapeXml(href(target, false))}</D:href><D:propstat><D:prop>${names.join('')}</D:prop><D:status>HTTP/1.1 ${status}</D:status></D:propstat></D:response>`);
  }

  async function lock(req: IncomingMessage, res: ServerResponse, target: SharedPath, submitted: ReadonlySet<string>): Promise<void> {
    const body = await readBody(req);
    const key = pathKey(target);
    const timeoutS = lockTimeout(req.headers.timeout as string | undefined);
    if (!body.byteLength) {
      // A refresh: the If header names the lock, which may be a folder's above this path.
      const held = locks.covering(key).find((l) => submitted.has(l.token));
      if (!held) throw new HttpStatus(412, 'a lock refresh that names no lock on this resource in its If header');
      locks.refresh(held, timeoutS);
      return sendLock(res, 200, held);
    }
    const info = xmlBody(body);
    if (info.ns !== DAV || info.name !== 'lockinfo') throw new HttpStatus(400, 'the body is not a DAV:lockinfo');
    const scopeEl = child(info, 'lockscope');
    const scope = scopeEl && child(scopeEl, 'shared') ? 'shared' : scopeEl && child(scopeEl, 'exclusive') ? 'exclusive' : null;
    if (!scope) throw new HttpStatus(400, 'a lockinfo without an exclusive or shared lockscope');
    const typeEl = child(info, 'locktype');
    if (!typeEl || !child(typeEl, 'write')) throw new HttpStatus(400, 'only write locks exist');
    const depthHeader = String(req.headers.depth ?? 'infinity').toLowerCase();
    if (depthHeader !== '0' && depthHeader !== 'infinity') throw new HttpStatus(400, `a lock of depth ${depthHeader} (0 or infinity)`);
    const ownerEl = child(info, 'owner');
    const taken = locks.take(key, depthHeader === '0' ? 0 : 'infinity', scope, ownerEl ? textOf(ownerEl).trim() : '', timeoutS);
    if (!taken) throw new HttpStatus(423, 'the resource holds a lock that conflicts with this one');
    let status = 200;
    try {
      if (!(await lstat(target.file).then(() => true, () => false))) {
        if (!(await stat(dirname(target.file)).catch(() => null))?.isDirectory()) throw new HttpStatus(409, 'the parent collection does not exist');
        await writeFile(target.file, '', { flag: 'wx' });
        status = 201;
      }
    } catch (e) {
      locks.release(taken.token);
      throw e;
    }
    res.setHeader('Lock-Token', `<${taken.token}>`);
    sendLock(res, status, taken);
  }

  function sendLock(res: ServerResponse, status: number, l: DavLock): void {
    res.setHeader('Content-Type', 'application/xml; charset=utf-8');
    send(res, status, `<?xml version="1.0" encoding="utf-8"?>\n<D:prop xmlns:D="DAV:"><D:lockdiscovery>${activeLock(l)}</D:lockdiscovery></D:prop>\n`);
  }

  /**
   * The If header (RFC 4918 10.4), when there is one: true when one of its lists holds (412
   * otherwise); the lock tokens it names are the ones the request submits.
   */
  async function checkIf(req: IncomingMessage, target: SharedPath): Promise<Set<string>> {
    const header = req.headers.if;
    if (typeof header !== 'string') return new Set();
    let lists;
    try {
      lists = parseIfHeader(header, (uri) => {
        try {
          return '/' + pathSegments(requestPath(uri)).join('/');
        } catch {
          return null;
        }
      });
    } catch (e) {
      if (e instanceof IfHeaderError) throw new HttpStatus(400, e.message);
      throw e;
    }
    const submitted = new Set(lists.flatMap((l) => l.conditions.flatMap((c) => (c.token ? [c.token] : []))));
    const etags = new Map<string, string | null>();
    const etagOf = async (path: string): Promise<string | null> => {
      if (!etags.has(path)) {
        const st = await folder.resolve(path).then((p) => stat(p.file)).catch(() => null);
        etags.set(path, st ? etag(st) : null);
      }
      return etags.get(path) ?? null;
    };
    for (const list of lists) {
      const path = list.resource ?? pathKey(target);
      let holds = true;
      for (const c of list.conditions) {
        const met = c.token !== undefined ? locks.covering(path).some((l) => l.token === c.token) : (await etagOf(path)) === c.etag;
        if (met === c.not) {
          holds = false;
          break;
        }
      }
      if (holds) return submitted;
    }
    throw new HttpStatus(412, 'no list of the If header holds');
  }

  /**
   * 423 when the request would change a locked resource without its token: an exclusive lock's
   * own token, or one of the shared locks' tokens. DELETE and MOVE reach everything under the path.
   */
  async function checkLocks(req: IncomingMessage, method: string, target: SharedPath, submitted: ReadonlySet<string>): Promise<void> {
    const guard = (path: string, deep: boolean): void => {
      const held = locks.affected(path, deep);
      const exclusiveMissing = held.some((l) => l.scope === 'exclusive' && !submitted.has(l.token));
      const shared = held.filter((l) => l.scope === 'shared');
      if (exclusiveMissing || (shared.length && !shared.some((l) => submitted.has(l.token)))) throw new HttpStatus(423, `${path} is locked and the request names none of its locks`);
    };
    const key = pathKey(target);
    switch (method) {
      case 'PUT':
      case 'PROPPATCH':
      case 'MKCOL':
        return guard(key, false);
      case 'DELETE':
        return guard(key, true);
      case 'MOVE':
      case 'COPY': {
        if (method === 'MOVE') guard(key, true);
        const dest = req.headers.destination;
        if (typeof dest === 'string') guard('/' + (await folder.resolve(requestPath(dest))).segments.join('/'), true);
        return;
      }
    }
  }

  function forgetProps(p: SharedPath): void {
    const key = pathKey(p);
    for (const k of [...deadProps.keys()]) if (k === key || k.startsWith(key + '/')) deadProps.delete(k);
    locks.forget(key);
  }

  function moveProps(from: SharedPath, to: SharedPath, remove: boolean, shallow = false): void {
    const a = pathKey(from);
    const b = pathKey(to);
    for (const [k, v] of [...deadProps]) {
      if (k !== a && (shallow || !k.startsWith(a + '/'))) continue;
      deadProps.set(b + k.slice(a.length), new Map(v));
      if (remove) deadProps.delete(k);
    }
  }

  return {
    connect(reply, ended, mustWait): WebdavConnection {
      const socket = new MemorySocket(
        reply,
        () => {
          sockets.delete(socket);
          ended();
        },
        mustWait,
      );
      sockets.add(socket);
      socket.on('error', () => {});
      http.emit('connection', socket);
      // The guest's bytes come in many small pieces (spice-server's port messages cut spice-webdavd's
      // frames); each pushed alone is one HTTP parser pass and one file write for a PUT. They are
      // gathered until this turn of the event loop ends, or GATHER_BYTES (bench/README.md, webdav).
      let pieces: Buffer[] = [];
      let gathered = 0;
      let scheduled = false;
      const flush = (): void => {
        scheduled = false;
        // Large pieces (spice-server's 32 KiB messages) go to the parser as they are; only runs of
        // small ones are joined: a parser pass per few bytes costs more than their copy, a copy of
        // every large one costs more than its pass (and 64 MiB of garbage per 64 MiB PUT).
        let run: Buffer[] = [];
        let runBytes = 0;
        const pushRun = (): void => {
          if (run.length) socket.push(run.length === 1 ? run[0] : Buffer.concat(run, runBytes));
          run = [];
          runBytes = 0;
        };
        for (const piece of pieces) {
          if (piece.byteLength >= LARGE_PIECE) {
            pushRun();
            socket.push(piece);
          } else {
            run.push(piece);
            runBytes += piece.byteLength;
          }
        }
        pushRun();
        pieces = [];
        gathered = 0;
      };
      return {
        write: (bytes) => {
          // A view, not a copy: the port's payloads are fresh buffers (a socket chunk, an assembled
          // message, a decompressed one) that nothing writes again.
          const piece = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          // A large piece with nothing gathered before it would go to the parser alone at the turn's
          // end anyway: it goes now, without a turn's timer (a 64 MiB PUT is about 2000 of them).
          if (piece.byteLength >= LARGE_PIECE && !pieces.length) return void socket.push(piece);
          pieces.push(piece);
          gathered += bytes.byteLength;
          if (gathered >= GATHER_BYTES) flush();
          else if (!scheduled) {
            scheduled = true;
            setImmediate(flush);
          }
        },
        end: () => {
          flush();
          socket.destroy();
        },
      };
    },
    describe: () => `${o.root}${o.readOnly ? ' (read-only)' : ''}`,
    close() {
      for (const s of [...sockets]) s.destroy();
    },
  };
}

/**
 * The path part of a request target or Destination: an absolute URL's path, or the path itself; no
 * query. Taken as written (a URL parser would drop "..", hiding an attempt that must be refused).
 */
function requestPath(url: string): string {
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '') || '/';
  const q = path.search(/[?#]/);
  return q < 0 ? path : path.slice(0, q);
}

function pathKey(p: SharedPath): string {
  return '/' + p.segments.join('/');
}

function href(p: SharedPath, collection: boolean): string {
  const path = '/' + p.segments.map(encodeURIComponent).join('/');
  return collection && p.segments.length ? path + '/' : path;
}

function etag(st: Stats): string {
  return `"${st.ino.toString(16)}-${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
}

function activeLock(l: DavLock): string {
  const owner = l.owner ? `<D:owner>${escapeXml(l.owner)}</D:owner>` : '';
  const root = l.root === '/' ? '/' : l.root.split('/').map(encodeURIComponent).join('/');
  return `<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:${l.scope}/></D:lockscope><D:depth>${l.depth === 0 ? '0' : 'infinity'}</D:depth>${owner}<D:timeout>Second-${l.timeoutS}</D:timeout><D:locktoken><D:href>${escapeXml(l.token)}</D:href></D:locktoken><D:lockroot><D:href>${escapeXml(root)}</D:href></D:lockroot></D:activelock>`;
}

function liveProps(p: SharedPath, st: Stats, held: readonly DavLock[]): Record<string, string> {
  const props: Record<string, string> = {
    displayname: escapeXml(p.segments.length ? basename(p.file) : '/'),
    resourcetype: st.isDirectory() ? '<D:collection/>' : '',
    creationdate: st.birthtime.toISOString(),
    getlastmodified: st.mtime.toUTCString(),
    getetag: escapeXml(etag(st)),
    supportedlock:
      '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
      '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>',
    lockdiscovery: held.map(activeLock).join(''),
  };
  if (!st.isDirectory()) {
    props.getcontentlength = String(st.size);
    props.getcontenttype = 'application/octet-stream';
  }
  return props;
}

function element(ns: string, name: string, inner: string): string {
  if (ns === DAV) return inner ? `<D:${name}>${inner}</D:${name}>` : `<D:${name}/>`;
  const attr = ns ? ` xmlns="${escapeXml(ns)}"` : ' xmlns=""';
  return inner ? `<${name}${attr}>${inner}</${name}>` : `<${name}${attr}/>`;
}

function textOf(el: XmlElement): string {
  return el.text + el.children.map(textOf).join('');
}

function multistatus(res: ServerResponse, responses: string): void {
  res.setHeader('Content-Type', 'application/xml; charset=utf-8');
  send(res, 207, `<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${responses}</D:multistatus>\n`);
}

function send(res: ServerResponse, status: number, body?: string, length?: number): void {
  res.statusCode = status;
  if (body !== undefined || length !== undefined) res.setHeader('Content-Length', length ?? Buffer.byteLength(body ?? ''));
  else if (status !== 204) res.setHeader('Content-Length', 0);
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_XML_BODY) throw new HttpStatus(413, `a request body over ${MAX_XML_BODY} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

function xmlBody(body: Buffer): XmlElement {
  try {
    return parseXml(body.toString('utf8'));
  } catch (e) {
    if (e instanceof XmlError) throw new HttpStatus(400, `the XML body has ${e.message}`);
    throw e;
  }
}

function statusOfFsError(e: unknown): number {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 404;
    case 'EACCES':
    case 'EPERM':
      return 403;
    case 'ENOTDIR':
    case 'EEXIST':
    case 'ENOTEMPTY':
    case 'EINVAL':
      return 409;
    case 'ENOSPC':
    case 'EDQUOT':
      return 507;
    default:
      return 500;
  }
}
