// The preload of the Electron window (bundled to dist/preload.cjs; runs sandboxed, in an isolated
// world beside the page). Deliberately small: it tells the page it is in the app, passes the
// page's requests for a bridge and its screenshot replies to main (which validates them, ipc.ts),
// and hands the page the bridge's port. No Node, no ipcRenderer, no Electron object reaches the
// page; only the functions below, which take plain values.
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_PORT_MESSAGE, INPUT_PORT_MESSAGE, PRELOAD_GLOBAL, type PreloadContract } from '../../protocol/bridge/preload-contract.ts';
import { APP_SCHEME, FromMain, ToMain } from './ipc-channels.ts';

/** The page's window, as the preload reaches it (src/main has no DOM types). */
interface PageWindow {
  postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void;
  location: { protocol: string };
}
const page = globalThis as unknown as PageWindow;

// The port goes into the page by window.postMessage, the one way to transfer a port across the
// context isolation boundary; only to the app's own page.
const passPort = (channel: string, message: string): void =>
  void ipcRenderer.on(channel, (event) => {
    const [port] = event.ports;
    if (!port || page.location.protocol !== `${APP_SCHEME}:`) return;
    page.postMessage(message, '*', [port]);
  });
passPort(FromMain.bridgePort, BRIDGE_PORT_MESSAGE);
passPort(FromMain.inputPort, INPUT_PORT_MESSAGE);

let screenshotHandler: ((id: number) => void) | null = null;
ipcRenderer.on(FromMain.screenshotRequest, (_event, id: unknown) => {
  if (typeof id === 'number' && Number.isInteger(id) && screenshotHandler) screenshotHandler(id);
});

// The contract is the page's too (src/protocol/bridge/preload-contract.ts): satisfies keeps the two in step.
contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, {
  kind: 'electron',
  /** Asks main for a bridge; its port arrives as a window message BRIDGE_PORT_MESSAGE. */
  openBridge: (): void => ipcRenderer.send(ToMain.openBridge),
  /** Asks main for an input port; it arrives as a window message INPUT_PORT_MESSAGE. */
  openInputPort: (): void => ipcRenderer.send(ToMain.openInputPort),
  /** The page's answer to screenshot requests: set once. */
  onScreenshotRequest: (handler: unknown): void => {
    if (typeof handler === 'function' && !screenshotHandler) screenshotHandler = handler as (id: number) => void;
  },
  screenshotReply: (id: unknown, width: unknown, height: unknown, rgba: unknown): void =>
    ipcRenderer.send(ToMain.screenshot, { id, width, height, rgba }),
  screenshotFailed: (id: unknown, error: unknown): void => ipcRenderer.send(ToMain.screenshot, { id, error: String(error).slice(0, 1000) }),
} satisfies PreloadContract);
