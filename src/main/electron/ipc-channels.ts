// The IPC channel names between the Electron main process and the preload, in one place for both
// (the preload bundles this file; it must stay free of node:* and electron imports).

/** Page -> main (ipcRenderer.send). Their payloads are validated in main by ipc.ts. */
export const ToMain = {
  /** The page is ready for its bridge; main answers with a port on FromMain.bridgePort. */
  openBridge: 'spicedesk:open-bridge',
  /** The page wants a port for its keys and pointer messages; main answers on FromMain.inputPort. */
  openInputPort: 'spicedesk:open-input-port',
  /** The screen's pixels for a screenshot main asked for. */
  screenshot: 'spicedesk:screenshot',
} as const;

/** Main -> page (webContents.send / postMessage). */
export const FromMain = {
  /** Carries the page's end of a new bridge as its one transferred port. */
  bridgePort: 'spicedesk:bridge-port',
  /** Carries the page's end of a new input port as its one transferred port. */
  inputPort: 'spicedesk:input-port',
  /** Asks for the screen's pixels; the argument is the request id to answer with. */
  screenshotRequest: 'spicedesk:screenshot-request',
} as const;

/** The window.postMessage the preload sends into the page with the bridge port (the page's contract too). */
export { BRIDGE_PORT_MESSAGE, INPUT_PORT_MESSAGE } from '../../protocol/bridge/preload-contract.ts';

/** The custom scheme the renderer is served from (registered in electron-main.ts, answered by window-policy.ts appResponse), and its one host. */
export const APP_SCHEME = 'spicedesk-app';
export const APP_HOST = 'renderer';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
