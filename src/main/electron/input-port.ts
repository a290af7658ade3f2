// The Electron window's input port: the page's keys and pointer messages from its own thread
// (src/renderer/input-socket.ts), beside the bridge the decode worker runs. Main makes a port pair
// per request, gives the page one end and serves the other with a BridgeHost that takes only
// INPUT_JOIN (a join token of this host's sessions) and then input; the page's sessions end it.
// One per window: a new request (the page reloaded) ends the one before.
import { MessageChannelMain, type BrowserWindow } from 'electron';
import type { Logger } from '../../protocol/logger.ts';
import { BridgeHost } from '../host/bridge-host.ts';
import type { HeadRegistry } from '../monitors/head-group.ts';
import { FromMain } from './ipc-channels.ts';
import { portEndpoint } from './port-endpoint.ts';

/** Input ports' bridge ids, apart from the windows' own. */
let nextInputPortId = 2_000_000;

export class InputPorts {
  private host: BridgeHost | null = null;

  constructor(private readonly o: { registry: HeadRegistry; logger: Logger; linkTimeoutMs: number }) {}

  /** Answers the page's request (ToMain.openInputPort) with a new port on FromMain.inputPort; nothing for a window already gone. */
  open(win: BrowserWindow): void {
    if (win.isDestroyed()) return;
    this.host?.shutdown();
    const { port1, port2 } = new MessageChannelMain();
    // No targets: a page that sends HELLO here instead of INPUT_JOIN starts nothing.
    this.host = new BridgeHost(portEndpoint(port1), { targets: [], logger: this.o.logger.child({ input: true }), linkTimeoutMs: this.o.linkTimeoutMs, helloTimeoutMs: 10_000, heads: this.o.registry }, nextInputPortId++);
    win.webContents.postMessage(FromMain.inputPort, null, [port2]);
  }

  shutdown(): void {
    this.host?.shutdown();
    this.host = null;
  }
}
