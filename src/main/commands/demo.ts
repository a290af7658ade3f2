// `spicedesk demo [TARGET]` (and `npm start`): what the client can do today, on a real server. With
// no TARGET it starts a local Xspice first. The desktop window arrives with the desktop-client
// issue; until then this prints the server's info and writes what spicedesk sees to a PNG.
import type { Logger } from '../../protocol/logger.ts';
import { startDemoServer, type DemoServer } from '../demo/demo-server.ts';
import { runCapture } from './capture.ts';
import { runInfo } from './info.ts';

export interface DemoOptions {
  target?: string;
  output: string;
  once: boolean;
  /** Bounds the link and the first frame, as capture's --timeout. */
  timeoutMs: number;
  logger: Logger;
  warn: (line: string) => void;
  out: (text: string) => void;
}

export async function runDemo(o: DemoOptions): Promise<void> {
  let server: DemoServer | undefined;
  let target = o.target;
  if (!target) {
    o.out('starting a local demo server (Xspice with an xterm)...\n');
    server = await startDemoServer();
    target = `spice://127.0.0.1:${server.port}`;
  }
  try {
    await runInfo({ target, json: false, timeoutMs: o.timeoutMs, logger: o.logger, warn: o.warn, out: o.out });
    await runCapture({ target, output: o.output, displayId: 0, timeoutMs: o.timeoutMs, settleMs: 0, delayMs: 0, logger: o.logger, warn: o.warn });
    o.out(
      `\nwrote what spicedesk sees on ${target} to ${o.output}\n` +
        'The desktop window is not implemented yet (it comes with the desktop-client issue); today spicedesk\n' +
        `is a command-line client. Try: npx spicedesk capture ${target} -o screen.png\n`,
    );
    if (server && !o.once) {
      o.out(`the demo server stays up at ${target} until you press Ctrl+C\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    server?.stop();
  }
}
