// The peers the browser benches share: spice-html5's files over HTTP, websockify in front of a
// SPICE server for it, `spicedesk serve` for spicedesk's page, an Xvfb for remote-viewer, and
// counters of what each page's WebSockets received.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import type { Page } from 'playwright-core';
import { freeDisplayNumber, freePort } from '../peers/free-port.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';
import { sleep, waitUntil } from '../helpers/wait.ts';
import { requireTool } from '../peers/require-tool.ts';
import { tcpAccepts } from '../peers/xspice.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** spice-html5's files over HTTP on loopback: ES modules do not load from file:// URLs. */
export async function serveStaticFolder(folder: string): Promise<{ origin: string; server: Server }> {
  const root = resolve(folder);
  const server = createServer((req, res) => {
    const path = resolve(root, `.${decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname)}`);
    const inside = path.startsWith(root + sep);
    let body: Buffer | undefined;
    try {
      if (inside && statSync(path).isFile()) body = readFileSync(path);
    } catch {
      body = undefined;
    }
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
  });
  const port = await freePort();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done());
  });
  return { origin: `http://127.0.0.1:${port}`, server };
}

export async function startWebsockify(spicePort: number): Promise<{ port: number; process: GroupProcess }> {
  const websockify = requireTool('websockify', 'websockify');
  const port = await freePort();
  const proc = spawnGroup(websockify, [`127.0.0.1:${port}`, `127.0.0.1:${spicePort}`], { name: 'websockify' });
  const deadline = Date.now() + 10_000;
  while (!(await tcpAccepts(port))) {
    if (!proc.running() || Date.now() > deadline) {
      await proc.stop();
      throw new Error(`websockify did not listen on ${port}: ${proc.outputTail()}`);
    }
    await sleep(50);
  }
  return { port, process: proc };
}

/** An Xvfb for remote-viewer (the benches count its CPU with the client's: it draws the window). */
export async function startXvfb(): Promise<{ display: string; process: GroupProcess }> {
  const xvfb = requireTool('Xvfb', 'xvfb');
  const n = freeDisplayNumber();
  const proc = spawnGroup(xvfb, [`:${n}`, '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { name: 'Xvfb' });
  await waitUntil(`Xvfb :${n} to listen`, () => existsSync(`/tmp/.X11-unix/X${n}`) || !proc.running(), 10_000);
  if (!proc.running()) throw new Error(`Xvfb :${n} exited: ${proc.outputTail()}`);
  return { display: `:${n}`, process: proc };
}

/** `nodeArgs`: switches for the gateway's Node (a CPU profile: cpuProfileArgs). */
export async function startGateway(root: string, target: string, nodeArgs: readonly string[] = []): Promise<{ url: string; process: GroupProcess }> {
  const cli = resolve(root, 'bin/spicedesk.cjs');
  if (!existsSync(cli)) throw new Error(`${cli} is missing; run the bench from the checkout (npm run bench)`);
  const proc = spawnGroup(process.execPath, [...nodeArgs, cli, 'serve', target], {
    env: { ...process.env, SPICE_PASSWORD: undefined, SPICE_PROXY: undefined },
    name: 'spicedesk serve',
  });
  let out = '';
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`spicedesk serve printed no URL in 10 s: ${proc.outputTail()}`)), 10_000);
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        done(out.slice(0, nl).trim());
      }
    });
    void proc.exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`spicedesk serve exited (${code}) before printing a URL: ${proc.outputTail()}`));
    });
  });
  if (!/^http:\/\/127\.0\.0\.1:\d+\/[^/]+\/$/.test(url)) {
    await proc.stop();
    throw new Error(`the first line of spicedesk serve is not its URL: ${JSON.stringify(url)}`);
  }
  return { url, process: proc };
}

/**
 * Counts the closes of the page's WebSockets (a client that lost its session draws nothing) and
 * the messages they received (how finely each client's stream is cut).
 */
export const trackSockets = (): void => {
  const w = window as unknown as { benchSocketCloses: number; benchSocketMessages: number; benchSocketBytes: number };
  w.benchSocketCloses = 0;
  w.benchSocketMessages = 0;
  w.benchSocketBytes = 0;
  const Original = WebSocket;
  window.WebSocket = class extends Original {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('close', () => w.benchSocketCloses++);
      this.addEventListener('message', (e: MessageEvent<unknown>) => {
        w.benchSocketMessages++;
        const data = e.data;
        w.benchSocketBytes += data instanceof ArrayBuffer ? data.byteLength : data instanceof Blob ? data.size : String(data).length;
      });
    }
  };
};

export const socketCloses = (page: Page): Promise<number> => page.evaluate(() => (window as unknown as { benchSocketCloses: number }).benchSocketCloses);
export const socketMessages = (page: Page): Promise<{ messages: number; bytes: number }> =>
  page.evaluate(() => {
    const w = window as unknown as { benchSocketMessages: number; benchSocketBytes: number };
    return { messages: w.benchSocketMessages, bytes: w.benchSocketBytes };
  });

/**
 * Node switches for a V8 CPU profile of a spicedesk client named `name` in `dir` (none without a
 * dir). node --cpu-prof writes its profile when the process exits, which a SIGTERM (proc.stop)
 * does not let it do: a preloaded handler turns the signal into an exit.
 */
export function cpuProfileArgs(dir: string | undefined): (name: string) => string[] {
  if (!dir) return () => [];
  mkdirSync(dir, { recursive: true });
  const exitOnTerm = join(dir, 'exit-on-sigterm.cjs');
  writeFileSync(exitOnTerm, "process.on('SIGTERM', () => process.exit(0));\n");
  return (name) => ['--require', exitOnTerm, '--cpu-prof', `--cpu-prof-dir=${join(dir, name)}`];
}
