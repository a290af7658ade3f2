// SPICE over WebSocket (ws:// and wss://): each channel is one WebSocket whose binary messages
// carry the SPICE byte stream, as websockify, spice-server's own WebSocket support and the web
// consoles of virtualization managers expect. Message boundaries mean nothing; bytes are bytes.
import type { PeerCertificate } from 'node:tls';
import WebSocket from 'ws';
import { SpiceError } from '../../protocol/wire/errors.ts';
import type { Transport, TransportSink } from '../../protocol/wire/transport.ts';
import { SinkRelay } from './sink-relay.ts';
import { describeWebSocketUrl } from './websocket-url.ts';
import { explainTlsError, verifyServerIdentity } from './tls-verify.ts';

export { describeWebSocketUrl };

/** What spice-html5 asks for; websockify then sends binary frames rather than base64 text. */
const SUBPROTOCOL = 'binary';

class WebSocketTransport implements Transport {
  private readonly relay = new SinkRelay();

  constructor(
    private readonly socket: WebSocket,
    readonly description: string,
  ) {
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (!isBinary) {
        this.relay.end(new SpiceError('protocol', `${description} sent a text WebSocket message; a SPICE WebSocket carries binary messages only`));
        socket.terminate();
        return;
      }
      const parts = Array.isArray(data) ? data : [data instanceof ArrayBuffer ? Buffer.from(data) : data];
      for (const part of parts) this.relay.data(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
    });
    socket.on('error', (err) => this.relay.end(new SpiceError('unreachable', `WebSocket connection to ${description} failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.relay.end());
  }

  start(sink: TransportSink): void {
    this.relay.start(sink);
  }

  write(data: Uint8Array): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(data, { binary: true });
  }

  // ws ignores both before the upgrade and once closed; a closing socket must read on for the
  // peer's close frame, so resuming is never skipped in between.
  pauseReads(): void {
    this.socket.pause();
  }

  resumeReads(): void {
    this.socket.resume();
  }

  close(): void {
    if (this.socket.readyState === WebSocket.CLOSED || this.socket.readyState === WebSocket.CLOSING) return;
    this.socket.close(1000);
    setTimeout(() => this.socket.terminate(), 1000).unref();
  }
}

function explainOpenError(err: NodeJS.ErrnoException, where: string, trust: string): SpiceError {
  // The identity check's own verdict (wrong host name) is already a message for the user.
  if (err instanceof SpiceError) return err;
  if (isTlsFailure(err)) return explainTlsError(err, where, trust);
  switch (err.code) {
    case 'ECONNREFUSED':
      return new SpiceError('unreachable', `${where} refused the connection: is the WebSocket server running on that port?`, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SpiceError('unreachable', `cannot resolve the host name in ${where}`, { cause: err });
    default:
      return new SpiceError('unreachable', `cannot open a WebSocket to ${where}: ${err.message}`, { cause: err });
  }
}

export interface WebSocketTls {
  /** PEM text of the CAs to trust for wss:// (--spice-ca-file); without it, the system store. */
  ca?: string;
  /** Where `ca` came from, for messages. */
  caSource?: string;
}

/** Opens one WebSocket for one channel; resolves once the upgrade succeeded. */
export function openWebSocket(url: string, timeoutMs: number, tls: WebSocketTls = {}): Promise<Transport> {
  const where = describeWebSocketUrl(url);
  const trust = tls.ca !== undefined ? `CA from ${tls.caSource ?? 'the profile'}` : 'the system CA store';
  return new Promise((resolve, reject) => {
    // For wss://, the same floor as the SPICE TLS port; ws hands these options to node:tls.
    const secure = {
      minVersion: 'TLSv1.2' as const,
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      // ws hands this to node:tls, which wants an Error or undefined (ws's typings say boolean).
      checkServerIdentity: ((name: string, cert: PeerCertificate) => verifyServerIdentity(name, cert, { where })) as unknown as WebSocket.ClientOptions['checkServerIdentity'],
    };
    const socket = new WebSocket(url, [SUBPROTOCOL], { handshakeTimeout: timeoutMs, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, ...secure });
    socket.binaryType = 'nodebuffer';
    let settled = false;
    socket.once('upgrade', () => {
      const tcp = (socket as unknown as { _socket?: { setNoDelay?: (on: boolean) => void } })._socket;
      tcp?.setNoDelay?.(true);
    });
    socket.once('unexpected-response', (_req, res) => {
      settled = true;
      const status = `${res.statusCode ?? '?'}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
      socket.terminate();
      reject(new SpiceError('unreachable', `${where} did not accept the WebSocket upgrade (HTTP ${status}); is it a WebSocket endpoint for SPICE?`));
    });
    socket.once('open', () => {
      settled = true;
      socket.removeAllListeners('error');
      resolve(new WebSocketTransport(socket, where));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      if (/handshake has timed out/i.test(err.message)) {
        reject(new SpiceError('unreachable', `opening a WebSocket to ${where} timed out after ${Math.round(timeoutMs / 1000)} s`, { cause: err }));
        return;
      }
      reject(explainOpenError(err, where, trust));
    });
  });
}

/** OpenSSL's verification codes (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED, ...) and Node's TLS errors. */
function isTlsFailure(err: NodeJS.ErrnoException): boolean {
  return typeof err.code === 'string' && /^ERR_(TLS|SSL)|CERT|SIGNATURE|ISSUER|SELF_SIGNED|ALTNAME/.test(err.code);
}
