// The byte transport a channel runs on. The host (src/main) implements it over TCP, TLS, Unix
// sockets, proxies or WebSockets; src/protocol only sees bytes.

export interface TransportSink {
  data(chunk: Uint8Array): void;
  /** The peer closed, or the connection failed (error set). Called once. */
  end(error?: Error): void;
}

export interface Transport {
  /** Starts delivering bytes to the sink; called once, before any data can be lost. */
  start(sink: TransportSink): void;
  write(data: Uint8Array): void;
  /**
   * Writes the chunks in order as one write (writev) without joining them first. Absent: the
   * caller joins them and uses write().
   */
  writev?(chunks: Uint8Array[]): void;
  /**
   * Bytes written that the connection has not handed to the OS yet. Absent: the transport cannot
   * tell, and writers that pace themselves (the webdav channel's file reads) do not wait.
   */
  backlog?(): number;
  /** Calls `listener` once, when the backlog has drained to 0 (only asked while backlog() > 0). */
  onDrain?(listener: () => void): void;
  /**
   * Stops handing bytes to the sink until resumeReads(): what arrives meanwhile waits in the
   * connection (the OS's buffer) and comes in fewer, larger reads. Absent: reads cannot be held.
   */
  pauseReads?(): void;
  resumeReads?(): void;
  close(): void;
  /** A description for logs and errors, e.g. "127.0.0.1:5900". */
  readonly description: string;
}

/**
 * Opens one connection for one channel. `tls` asks for the TLS port (the server answered
 * NEED_SECURED); `unsecured` for the plain port (it answered NEED_UNSECURED on the TLS port).
 */
export type Connector = (request: { channelType: number; channelId: number; tls: boolean; unsecured?: boolean }) => Promise<Transport>;
