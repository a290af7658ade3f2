// The web gateway behind `spicedesk serve`: an HTTP server for the renderer's own files and a
// WebSocket endpoint for the bridge, both behind a random access token in the URL path
// (/TOKEN/, /TOKEN/main.js, /TOKEN/ws). The path carries the token so that the page's relative
// URLs (scripts, the worker, the socket) carry it too, without cookies. A browser the gateway
// starts itself is given a one-time launch link instead (launch-codes.ts), and connections that
// have not shown the token are bounded (socket-guard.ts).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { Limits } from '../../protocol/bridge/limits.ts';
import type { Logger } from '../../protocol/logger.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { AccessToken } from './access-token.ts';
import { LaunchCodes, type LaunchOutcome } from './launch-codes.ts';
import { DEFAULT_SOCKET_LIMITS, SocketGuard, type SocketLimits } from './socket-guard.ts';
import { PageBudget, type PageBudgetLimits } from '../host/page-budget.ts';
import type { GatewayTarget } from '../host/bridge-host.ts';
import { GatewayConnection } from './gateway-connection.ts';
import { INDEX_FILE, loadAssets, type Asset } from '../host/static-assets.ts';
import { pageContentSecurityPolicy } from '../host/page-policy.ts';
import { HeadRegistry } from '../monitors/head-group.ts';

export interface GatewayOptions {
  /** Address to listen on; loopback unless the user asked otherwise. */
  host: string;
  /** 0 for a free port. */
  port: number;
  /** The built renderer (dist/renderer). */
  assetsDir: string;
  targets: readonly GatewayTarget[];
  logger: Logger;
  linkTimeoutMs: number;
  helloTimeoutMs?: number;
  /** For tests; a fresh random token otherwise. */
  token?: AccessToken;
  /** For tests; DEFAULT_SOCKET_LIMITS otherwise. */
  socketLimits?: Partial<SocketLimits>;
  /** For tests; 20-second codes on the real clock otherwise. */
  launchCodes?: LaunchCodes;
  /** For tests; DEFAULT_PAGE_BUDGET otherwise. */
  pageBudget?: PageBudgetLimits;
}

export interface Gateway {
  /** The page to open, token included. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /**
   * A one-time link to the page for a browser started on this machine (its command line is
   * public): good once, for a few seconds; it redirects to `url`.
   */
  launchUrl(): string;
  /** Open page connections. */
  connections(): number;
  /** Connections that have not shown the token, and how many were closed for it. */
  pendingSockets(): { open: number; admitted: number; evicted: number; timedOut: number };
  /** Every connection the listener holds now (a descriptor each). */
  sockets(): Promise<number>;
  close(): Promise<void>;
}

export const DEFAULT_HOST = '127.0.0.1';
const WS_PATH = 'ws';
const LAUNCH_PREFIX = '/launch/';

/** What a launch link that does not open the page says, by why. */
const launchRefusals: Record<Exclude<LaunchOutcome, 'ok'>, { status: number; text: string }> = {
  used: {
    status: 410,
    text:
      'spicedesk serve: this launch link was already used. A launch link opens the page once; if you did not ' +
      'open it yourself, someone else on this machine may have: stop the gateway (Ctrl+C). Otherwise open the ' +
      'URL that spicedesk serve printed.',
  },
  expired: {
    status: 410,
    text: 'spicedesk serve: this launch link is out of date (a launch link is good for a few seconds). Open the URL that spicedesk serve printed.',
  },
  unknown: { status: 404, text: 'spicedesk serve: this is not a launch link of this gateway. Open the URL that spicedesk serve printed.' },
};

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::';
const hostInUrl = (host: string): string => (host.includes(':') ? `[${host}]` : host);

export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const assets = loadAssets(o.assetsDir);
  const token = o.token ?? new AccessToken();
  const launchCodes = o.launchCodes ?? new LaunchCodes();
  const limits: SocketLimits = { ...DEFAULT_SOCKET_LIMITS, ...o.socketLimits };
  const guard = new SocketGuard(limits);
  // One memory bound for every page of this gateway together (host/page-budget.ts).
  const budget = new PageBudget(o.pageBudget);
  const live = new Set<GatewayConnection>();
  // Views of guest heads 2-4 join the session of head 1's page by its token (monitors/head-group.ts).
  const heads = new HeadRegistry();
  let nextId = 1;
  const wss = new WebSocketServer({ noServer: true, maxPayload: Limits.maxUiMessageBytes, perMessageDeflate: false, clientTracking: false });
  const server = createServer({ headersTimeout: limits.pendingTimeoutMs, requestTimeout: limits.pendingTimeoutMs });
  server.maxConnections = limits.maxSockets;
  server.on('connection', (socket: Socket) => guard.admit(socket));

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new SpiceError('usage', `cannot listen on ${hostInUrl(o.host)}:${o.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`)),
    );
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  // The steps to a first frame, on the log's clock (bench/README.md, interactive): Node's start and this.
  o.logger.debug({ processStart: Math.round(performance.timeOrigin), port }, 'gateway listening');

  // The Host header a browser sends for this server: anything else is a DNS-rebinding page or a
  // misdirected request. A wildcard listener cannot know its names, and takes any well-formed one.
  const allowedHosts = new Set([`${hostInUrl(o.host)}:${port}`]);
  if (isLoopback(o.host)) for (const h of ['localhost', '127.0.0.1', '[::1]']) allowedHosts.add(`${h}:${port}`);
  const hostAllowed = (host: string | undefined): host is string =>
    typeof host === 'string' && (isWildcard(o.host) ? /^[A-Za-z0-9.\-[\]:]{1,300}$/.test(host) : allowedHosts.has(host.toLowerCase()));

  /** The token segment of a path and what follows it, or null when the token is missing or wrong. */
  const authorize = (url: string | undefined): { ok: true; rest: string | undefined } | { ok: false; status: 401 | 403 } => {
    const path = (url ?? '/').split('?')[0];
    const m = /^\/([^/]*)(\/.*)?$/.exec(path);
    const segment = m?.[1] ?? '';
    if (segment === '') return { ok: false, status: 401 };
    if (!token.matches(segment)) return { ok: false, status: 403 };
    return { ok: true, rest: m?.[2] };
  };

  const securityHeaders = (host: string): Record<string, string> => ({
    'Content-Security-Policy': pageContentSecurityPolicy(`'self' ws://${host}`),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    // With COOP, makes the page cross-origin isolated (it loads nothing from elsewhere), which the
    // sound's ring in shared memory between the decode worker and the worklet needs
    // (src/renderer/audio/playout-ring.ts).
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });

  const reply = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', ...headers });
    res.end(`${text}\n`);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // The file's name only: the path holds the token, a launch link its code.
    const path = (req.url ?? '').split('?')[0];
    o.logger.debug(path.startsWith(LAUNCH_PREFIX) ? { launch: true } : { file: path.slice(path.lastIndexOf('/') + 1) || '/' }, 'request');
    const host = req.headers.host;
    if (!hostAllowed(host)) return reply(res, 403, 'spicedesk serve: unexpected Host header');
    if (req.url?.startsWith(LAUNCH_PREFIX)) return launch(req, res);
    const auth = authorize(req.url);
    if (!auth.ok) return reply(res, auth.status, 'spicedesk serve: open the URL that `spicedesk serve` printed; it holds the access token');
    guard.trust(req.socket);
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'spicedesk serve: only GET', { Allow: 'GET, HEAD' });
    // Relative URLs in the page need the trailing slash.
    if (auth.rest === undefined) return reply(res, 308, 'see the page', { Location: `/${token.value}/` });
    const name = auth.rest === '/' ? INDEX_FILE : auth.rest.slice(1);
    const asset: Asset | undefined = assets.get(name);
    if (!asset) return reply(res, 404, 'spicedesk serve: no such file');
    res.writeHead(200, { ...securityHeaders(host), 'Content-Type': asset.contentType, 'Content-Length': String(asset.body.byteLength) });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };

  /** A launch link: the page's token URL once, for the browser the gateway started; a clear page otherwise. */
  const launch = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET') return reply(res, 405, 'spicedesk serve: only GET', { Allow: 'GET' });
    const code = (req.url ?? '').slice(LAUNCH_PREFIX.length).split('?')[0];
    const outcome = /^[A-Za-z0-9_-]{1,64}$/.test(code) ? launchCodes.redeem(code) : 'unknown';
    if (outcome === 'ok') {
      guard.trust(req.socket);
      return reply(res, 303, 'see the page', { Location: `/${token.value}/`, 'Referrer-Policy': 'no-referrer' });
    }
    if (outcome === 'used') o.logger.warn('a launch link was used a second time: someone else on this machine may have opened the page');
    const refusal = launchRefusals[outcome];
    reply(res, refusal.status, refusal.text);
  };

  /** Answers an upgrade that is refused, then lets go of the socket (a half-closed one holds its descriptor). */
  const refuseUpgrade = (socket: Duplex, status: number, text: string): void => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const host = req.headers.host;
    if (!hostAllowed(host)) return refuseUpgrade(socket, 403, 'Forbidden');
    const auth = authorize(req.url);
    if (!auth.ok) return refuseUpgrade(socket, auth.status, auth.status === 401 ? 'Unauthorized' : 'Forbidden');
    if (auth.rest !== `/${WS_PATH}`) return refuseUpgrade(socket, 404, 'Not Found');
    // Browsers always send Origin on a WebSocket; one from another page's origin is refused even
    // with the token, so that a token leaked into another site cannot drive this gateway from it.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) return refuseUpgrade(socket, 403, 'Forbidden');
    if (live.size >= limits.maxPages) {
      o.logger.warn({ pages: live.size }, 'refusing a page: too many pages are open');
      return refuseUpgrade(socket, 503, 'Service Unavailable');
    }
    guard.trust(socket as Socket);
    wss.handleUpgrade(req, socket, head, (ws) => {
      o.logger.debug('page WebSocket open');
      const connection = new GatewayConnection(
        ws,
        { targets: o.targets, logger: o.logger, linkTimeoutMs: o.linkTimeoutMs, helloTimeoutMs: o.helloTimeoutMs ?? 10_000, heads, budget },
        nextId++,
        socket,
      );
      live.add(connection);
      ws.on('close', () => live.delete(connection));
    });
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    try {
      onRequest(req, res);
    } catch (e) {
      o.logger.error({ err: (e as Error).message }, 'request failed');
      if (!res.headersSent) reply(res, 500, 'spicedesk serve: internal error');
      else res.destroy();
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      onUpgrade(req, socket, head);
    } catch (e) {
      o.logger.error({ err: (e as Error).message }, 'upgrade failed');
      socket.destroy();
    }
  });
  // Garbage, a request too slow to finish, a reset: the connection goes, descriptor and all (a
  // half-closed socket the peer never closes would hold its descriptor for ever).
  server.on('clientError', (e: NodeJS.ErrnoException, socket: Duplex) => {
    if (socket.writable && e.code !== 'ECONNRESET') {
      const status = e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`, () => socket.destroy());
    } else socket.destroy();
  });

  const urlHost = isWildcard(o.host) ? DEFAULT_HOST : hostInUrl(o.host);
  return {
    url: `http://${urlHost}:${port}/${token.value}/`,
    host: o.host,
    port,
    token: token.value,
    launchUrl: () => `http://${urlHost}:${port}${LAUNCH_PREFIX}${launchCodes.issue()}`,
    connections: () => live.size,
    pendingSockets: () => ({ open: guard.pendingCount, ...guard.stats }),
    sockets: () => new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n)))),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of live) c.shutdown();
        live.clear();
        guard.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
