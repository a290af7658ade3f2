// Runs the built `spicedesk serve` as a user would and hands back the URL from its first line.
import { BIN } from '../helpers/cli.ts';
import { spawnGroup, type GroupProcess } from '../peers/processes.ts';

export interface ServeProcess {
  readonly url: string;
  /** http://HOST:PORT */
  readonly origin: string;
  readonly token: string;
  /** Every line of standard output so far. */
  stdout(): string;
  process: GroupProcess;
  stop(): Promise<void>;
}

export async function startServe(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 10_000): Promise<ServeProcess> {
  const proc = spawnGroup(process.execPath, [BIN, 'serve', ...args], {
    env: { ...process.env, SPICE_PASSWORD: undefined, SPICE_PROXY: undefined, ...env },
    name: 'spicedesk serve',
  });
  let out = '';
  const firstLine = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`spicedesk serve printed no URL in ${timeoutMs} ms: ${proc.outputTail()}`)), timeoutMs);
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    void proc.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`spicedesk serve exited (${code}) before printing a URL: ${proc.outputTail()}`));
    });
  });
  const url = await firstLine;
  const m = /^(http:\/\/[^/]+)\/([^/]+)\/$/.exec(url);
  if (!m) throw new Error(`the first line of spicedesk serve is not a URL: ${JSON.stringify(url)}`);
  return { url, origin: m[1], token: m[2], stdout: () => out, process: proc, stop: () => proc.stop() };
}
