// The shared folder of a running session, which the page's folder chooser can change: the
// session's webdav mux is given this one WebdavServer when it starts, and each guest connection
// goes to the folder shared at that moment. Changing or stopping the sharing ends every connection
// into the old folder; the mux then takes the guest's next bytes on the same id as a new
// connection, so the guest's next request reaches the new folder, or, while nothing is shared, is
// answered 503 "no folder is shared now".
import type { WebdavConnection, WebdavServer } from '../../protocol/channels/port/port-handler.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { SharedDirSetting } from './shared-dir.ts';
import { createWebdavServer } from './webdav-server.ts';

const NOT_SHARED_BODY = 'no folder is shared now\n';
const NOT_SHARED_REPLY = new TextEncoder().encode(
  `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${NOT_SHARED_BODY.length}\r\nConnection: close\r\n\r\n${NOT_SHARED_BODY}`,
);

export class SharedFolderSwitch implements WebdavServer {
  private current: { setting: SharedDirSetting; server: WebdavServer & { close(): void } } | undefined;

  constructor(private readonly logger: Logger) {}

  /** What is shared now (none: nothing). */
  get setting(): SharedDirSetting | undefined {
    return this.current?.setting;
  }

  /** Shares this folder from now on (none: stop sharing); the old folder's connections are closed. */
  set(setting: SharedDirSetting | undefined): void {
    const old = this.current;
    this.current = setting ? { setting, server: createWebdavServer({ root: setting.dir, readOnly: setting.readOnly, logger: this.logger }) } : undefined;
    old?.server.close();
  }

  connect(reply: (bytes: Uint8Array, sent?: () => void) => void, ended: () => void, mustWait?: (resume: () => void) => boolean): WebdavConnection {
    if (this.current) return this.current.server.connect(reply, ended, mustWait);
    // Not shared: the guest's request is answered 503 with Connection: close. Closing the mux
    // connection alone would not do: spice-webdavd does not close its client's TCP connection when
    // the host ends a mux connection (it writes the empty frame and goes on), so the guest's
    // client would wait for an answer until its own timeout. The rest of what the guest sends on
    // this connection is dropped; the guest closes it after the answer.
    let answered = false;
    return {
      write: () => {
        if (answered) return;
        answered = true;
        reply(NOT_SHARED_REPLY);
      },
      end: () => {},
    };
  }

  describe(): string {
    return this.current ? this.current.server.describe() : 'no folder shared now (the page can choose one)';
  }

  /** The session is gone: close what is open. */
  close(): void {
    this.current?.server.close();
  }
}
