// What acts on a port's byte stream, by the port's name (port-handler-table.ts): the QMP monitor,
// folder sharing's mux. A port no handler knows is linked and left alone. A handler sees the
// guest side open and close the port and the bytes in between; it writes through PortIo. A handler
// that throws a SpiceError from one of these ends its channel with that error (a byte stream out of
// step cannot be resynchronised); the session goes on.
import type { Logger } from '../../logger.ts';

export interface PortIo {
  /** Sends bytes on the port (cut into SPICEVMC_DATA messages). */
  write(bytes: Uint8Array): void;
  /**
   * The same for bytes given as pieces in order, cut into DATA messages without joining them first
   * (the webdav mux's frame headers and file data). Absent: the handler joins them and calls write.
   * `sent` is called once the connection has handed every byte to the OS, so that the pieces'
   * memory may be used again (a GET's read buffers); never, when the connection cannot tell or
   * closes first.
   */
  writePieces?(pieces: readonly Uint8Array[], sent?: () => void): void;
  /**
   * Flow control for a writer that can wait (the webdav mux, for a file the guest reads): true when
   * the channel's connection holds more unsent bytes than a port lets wait (PORT_SEND_HIGH_WATER);
   * then `resume` is called once they have drained, and the writer holds its next write until
   * then. False: write on (`resume` is not called). Absent: no flow control.
   */
  mustWait?(resume: () => void): boolean;
  /** Sends a PORT_EVENT (spice-server passes values above CLOSED to the chardev). */
  sendEvent(event: number): void;
  readonly log: Logger;
  /** The channel's name ("port:1"), for messages. */
  readonly channelName: string;
}

export interface PortHandler {
  /** Short name for `info` ("QEMU monitor (QMP)", "folder sharing"). */
  readonly describe: () => string;
  /** The guest side opened the port (PORT_INIT opened, PORT_EVENT OPENED, or data arriving). */
  opened(): void;
  /** The guest side closed it (PORT_EVENT CLOSED). */
  closed(): void;
  /** Bytes from the guest side, in order; message boundaries mean nothing. */
  data(bytes: Uint8Array): void;
  /** The channel ended: drop everything. */
  dispose(): void;
}

/**
 * One HTTP connection into the WebDAV server the host runs on the shared folder: what the guest
 * sends goes in with write(), the server's bytes come back through the `reply` given to connect.
 */
export interface WebdavConnection {
  write(bytes: Uint8Array): void;
  /** The guest closed its side (or the mux went away): the server drops the connection. */
  end(): void;
}

/** The host's WebDAV server (src/main/webdav), reachable only this way: it listens on no socket. */
export interface WebdavServer {
  /**
   * `mustWait` paces the server's replies (PortIo.mustWait, per connection): a reply that returns
   * true holds the connection's next bytes, and so its file reads, until `resume`. A reply given
   * `sent` has it called once its bytes are out of the process (PortIo.writePieces), when it can tell.
   */
  connect(reply: (bytes: Uint8Array, sent?: () => void) => void, ended: () => void, mustWait?: (resume: () => void) => boolean): WebdavConnection;
  /** "/home/me/Public (read-only)" for `info`. */
  describe(): string;
}

/** A print job's header as the guest sent it, checked (print-port.ts). */
export interface PrintJobHeader {
  title: string;
  copies: number;
  /** A CUPS media name ("A4", "Letter"); none: the printer's default. */
  media?: string;
  format: 'pdf' | 'postscript';
  /** The document's length in bytes. */
  bytes: number;
}

/** One job's document on its way to the host's spool file; printed only when whole. */
export interface PrintJobSpool {
  write(bytes: Uint8Array): void;
  /** The whole document is in: print (or save) it; resolves with what was done, rejects with why not. */
  finish(): Promise<string>;
  /** The job will never be whole (the channel went): drop the spool file, print nothing. */
  abort(): void;
}

/** The host's printing (src/main/printing), when the user turned it on (--print-to). */
export interface PrintService {
  /** The largest document taken; a larger one is refused before any of it is sent. */
  readonly maxBytes: number;
  /** "printer q", "save to /home/me/Prints" for `info`. */
  describe(): string;
  start(job: PrintJobHeader): PrintJobSpool;
}

/**
 * What the host gives port handlers: the WebDAV server when a folder is shared (none: not
 * shared), the printing service when printing is on (none: off).
 */
export interface PortContext {
  webdav?: WebdavServer;
  print?: PrintService;
}

export type PortHandlerFactory = (io: PortIo, ctx: PortContext) => PortHandler;
