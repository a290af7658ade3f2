// The page's folder chooser in the bridge host. The page may browse the folders under one root
// (the user's home by default) and share one of them with the guest, read-only or not, or stop
// sharing; the choice takes effect on the running session through the SharedFolderSwitch its
// webdav mux serves from. Everything the page names is a path relative to the root (the codec
// refuses absolute paths and ".."), and is resolved here once more with its symbolic links: a
// folder whose real place is outside the root is refused, so a link out of the home is never
// listed into, nor shared. Kiosk policy hides the chooser: the folder is then what the command
// line said (fixed), and none when it said nothing (forbidden).
import { readdir, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, sep } from 'node:path';
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import type { FolderUiMessage } from '../../protocol/bridge/folder-messages.ts';
import { FolderLimits, relativePathProblem } from '../../protocol/bridge/folder-messages.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { SharedDirSetting } from '../webdav/shared-dir.ts';
import { SharedFolderSwitch } from '../webdav/shared-folder-switch.ts';
import { realPathOnceFound } from '../webdav/shared-path.ts';

export class PageFolders {
  readonly folder: SharedFolderSwitch;
  private offered = false;
  private note = '';
  /** The root's real path (symbolic links resolved), kept once found. */
  private readonly realRoot: () => Promise<string>;
  /** Messages are handled one after the other, so a slow listing cannot overtake a later choice. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (m: HostMessage) => void,
    private readonly log: Logger,
    /** The folder the page may browse and share from (the user's home by default). */
    private readonly root: string = homedir(),
  ) {
    this.folder = new SharedFolderSwitch(log);
    this.realRoot = realPathOnceFound(root);
  }

  /** The page's target: its command-line folder (none: not shared) and whether the page may choose. */
  setTarget(setting: SharedDirSetting | undefined, allowed: boolean): void {
    this.folder.set(setting);
    this.offered = allowed;
    this.note = '';
    this.report();
  }

  /**
   * A folder the user picked in the desktop window's folder dialog: an absolute path, shared only
   * when its real place is under the root, as the page's choices.
   */
  shareChosen(dir: string, readOnly: boolean): void {
    this.queue = this.queue
      .then(async () => {
        const root = await this.realRoot();
        const real = await realpath(dir).catch(() => '');
        const inside = real === root || real.startsWith(root + sep);
        const path = inside ? real.slice(root.length + 1) : '';
        if (!inside) {
          if (!this.offered) return this.handleNow({ kind: 'folder-share', path: '', readOnly });
          this.note = real ? `${dir} is outside ${this.root}` : `no folder ${dir}`;
          this.log.warn({ dir }, `refusing the window's folder: ${this.note}`);
          return this.report();
        }
        return this.handleNow({ kind: 'folder-share', path, readOnly });
      })
      .catch((e: unknown) => this.failed(e));
  }

  handle(m: FolderUiMessage): void {
    this.queue = this.queue.then(() => this.handleNow(m)).catch((e: unknown) => this.failed(e));
  }

  /** Something no check foresaw (a folder that cannot be listed, say): logged, and the page is told in its note. */
  private failed(e: unknown): void {
    const why = e instanceof Error ? e.message : String(e);
    this.log.warn({ err: why }, `folder chooser failed: ${why}`);
    this.note = `the folder chooser failed: ${why}`;
    this.report();
  }

  private async handleNow(m: FolderUiMessage): Promise<void> {
    if (!this.offered) {
      this.log.warn({ kind: m.kind }, 'refusing a folder choice: this page may not choose the shared folder');
      this.note = 'this page may not choose the shared folder';
      return this.report();
    }
    if (m.kind === 'folder-stop') {
      this.folder.set(undefined);
      this.note = '';
      this.log.info('the page stopped sharing the folder');
      return this.report();
    }
    let dir: string;
    try {
      dir = await this.resolve(m.path);
    } catch (e) {
      const why = (e as Error).message;
      this.log.warn({ path: m.path, err: why }, `refusing the page's folder: ${why}`);
      if (m.kind === 'folder-browse') return this.send({ kind: 'folder-list', path: m.path, folders: [], note: why });
      this.note = why;
      return this.report();
    }
    if (m.kind === 'folder-browse') return this.send({ kind: 'folder-list', path: m.path, folders: await this.subfolders(dir), note: '' });
    this.folder.set({ dir, readOnly: m.readOnly });
    this.note = '';
    this.log.info({ dir, readOnly: m.readOnly }, `the page shares ${dir}${m.readOnly ? ' read-only' : ''}`);
    this.report();
  }

  /** The real folder a relative path names, or an error saying why it is refused. */
  private async resolve(path: string): Promise<string> {
    // The codec checked this already; a caller that skipped it is refused all the same.
    const problem = relativePathProblem(path);
    if (problem) throw new Error(`${problem}: folders are named relative to ${this.root}`);
    const root = await this.realRoot();
    let real: string;
    try {
      real = await realpath(join(root, ...path.split('/').filter(Boolean)));
    } catch (e) {
      throw new Error((e as NodeJS.ErrnoException).code === 'ENOENT' ? `no folder "${path}" in ${this.root}` : `"${path}": ${(e as Error).message}`);
    }
    if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) throw new Error(`"${path}" leads outside ${this.root}`);
    if (!(await stat(real)).isDirectory()) throw new Error(`"${path}" is not a folder`);
    return real;
  }

  /** The names of the folders in dir (symbolic links to folders inside the root included), sorted. */
  private async subfolders(dir: string): Promise<string[]> {
    const root = await this.realRoot();
    const names: string[] = [];
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) names.push(e.name);
      else if (e.isSymbolicLink()) {
        const real = await realpath(join(dir, e.name)).catch(() => '');
        if (real && real.startsWith(root + sep) && (await stat(real).then((s) => s.isDirectory(), () => false))) names.push(e.name);
      }
    }
    return names
      .filter((n) => Buffer.byteLength(n) <= FolderLimits.maxNameBytes)
      .sort()
      .slice(0, FolderLimits.maxFolders);
  }

  private report(): void {
    const s = this.folder.setting;
    this.send({ kind: 'folder-state', offered: this.offered, root: this.root, shared: s?.dir ?? '', readOnly: s?.readOnly ?? false, note: this.note });
  }
}
