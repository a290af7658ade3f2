// The shared folder of a running session, which the page's folder chooser can change: the
// session's webdav mux is given this one WebdavServer when it starts, and each guest connection
// goes to the folder shared at that moment. Changing or stopping the sharing closes every
// connection into the old folder (the guest's spice-webdavd sees them end), and while nothing is
// shared each new guest connection is closed at once, as when no folder was ever shared.
import type { WebdavConnection, WebdavServer } from '../../protocol/channels/port/port-handler.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { SharedDirSetting } from './shared-dir.ts';
import { createWebdavServer } from './webdav-server.ts';

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

  connect(reply: (bytes: Uint8Array) => void, ended: () => void, mustWait?: (resume: () => void) => boolean): WebdavConnection {
    if (this.current) return this.current.server.connect(reply, ended, mustWait);
    // Not shared: closed once the mux holds the connection (it is told after connect returns).
    let open = true;
    queueMicrotask(() => {
      if (open) ended();
      open = false;
    });
    return {
      write: () => {},
      end: () => {
        open = false;
      },
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
