// The Content-Security-Policy of the client page, wherever it is served from: the gateway (which
// lets the page open its WebSocket) and the Electron window (where the bridge is a port and the
// page connects to nothing).
export function pageContentSecurityPolicy(connectSrc: string): string {
  return [
    "default-src 'self'",
    // WebAssembly compilation only (the QUIC and LZ decoders, src/protocol/codecs/wasm); no eval of
    // JavaScript, no script from anywhere but the page's own files.
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    "style-src 'self'",
    // xterm.js (the serial console's terminal) sizes its cells and colours them through <style>
    // elements it writes; style attributes and every other source stay refused.
    "style-src-elem 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src ${connectSrc}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
