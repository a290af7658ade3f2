// What the Electron window's preload (src/main/electron/preload.ts) gives the page
// (src/renderer/bridge-socket.ts), written once for both: the preload's object satisfies
// PreloadContract, and the page checks what it finds on the window against PRELOAD_FUNCTIONS.
// Only plain values cross the context isolation boundary; the bridge itself arrives as a
// MessagePort posted into the window (BRIDGE_PORT_MESSAGE).

/** The window global the preload sets (contextBridge.exposeInMainWorld). */
export const PRELOAD_GLOBAL = 'spicedeskHost';

/** The window message the preload posts into the page with the bridge's port, as its one transferred port. */
export const BRIDGE_PORT_MESSAGE = 'spicedesk:bridge-port';

/** The window message the preload posts into the page with an input port (openInputPort), as its one transferred port. */
export const INPUT_PORT_MESSAGE = 'spicedesk:input-port';

/**
 * window.spicedeskHost in the Electron app. Members are function-typed properties, not methods,
 * so that `satisfies` checks their parameters strictly: the preload may take `unknown` (it
 * passes values on to main, which validates them), never something narrower than the page sends.
 */
export interface PreloadContract {
  kind: 'electron';
  /** Asks main for a bridge; its port arrives as a window message BRIDGE_PORT_MESSAGE. */
  openBridge: () => void;
  /** Asks main for a port for the page's keys and pointer messages; it arrives as a window message INPUT_PORT_MESSAGE. */
  openInputPort: () => void;
  /** The page's answer to main's screenshot requests: set once (later handlers are ignored). */
  onScreenshotRequest: (handler: (id: number) => void) => void;
  /** The screen's pixels for request `id`: RGBA rows, top row first. */
  screenshotReply: (id: number, width: number, height: number, rgba: Uint8Array) => void;
  screenshotFailed: (id: number, error: string) => void;
}

type PreloadFunction = Exclude<keyof PreloadContract, 'kind'>;

// A record, not a list, so that a function added to the contract must be named here too.
const preloadFunctions: Record<PreloadFunction, true> = {
  openBridge: true,
  openInputPort: true,
  onScreenshotRequest: true,
  screenshotReply: true,
  screenshotFailed: true,
};

/** The contract's functions, which the page checks are all there before it trusts the global. */
export const PRELOAD_FUNCTIONS = Object.keys(preloadFunctions) as readonly PreloadFunction[];
