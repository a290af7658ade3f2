// "Share a folder" in the page's bar: a panel that browses the folders the host allows (FOLDER_LIST,
// under FOLDER_STATE's root), a read-only switch, "Share this folder" and "Stop sharing". The host
// decides everything: the page only names folders relative to the root, and the next
// FOLDER_STATE says what is shared (or why the choice was refused). Hidden when the host does not
// offer the choice (kiosk) and in guest head windows.
import type { FolderListMessage, FolderStateMessage } from '../protocol/bridge/folder-messages.ts';
import type { PagePart } from './page-parts.ts';
import { element } from './dom.ts';

/** The path of a folder's parent ('' for the root's children; the root has none). */
export const parentPath = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');
export const childPath = (path: string, name: string): string => (path ? `${path}/${name}` : name);

/** "Sharing /home/me/Public (read-only)", or "Not shared". */
export function sharingLine(state: FolderStateMessage): string {
  return state.shared ? `Sharing ${state.shared}${state.readOnly ? ' (read-only)' : ''}` : 'Not shared';
}

export const folderChooserPart: PagePart = {
  name: 'folder-chooser',
  applies: (context) => !context.headWindow,
  mount(page) {
    const button = element('button', 'folder-button', 'Share a folder');
    button.hidden = true;
    const panel = element('div', 'folder-panel');
    panel.hidden = true;
    const sharing = element('p', 'folder-sharing');
    const where = element('p', 'folder-path');
    const up = element('button', 'folder-up', 'Up');
    const list = element('ul', 'folder-list');
    const readOnlyLabel = document.createElement('label');
    const readOnly = element('input', 'folder-read-only');
    readOnly.type = 'checkbox';
    readOnlyLabel.append(readOnly, ' read-only');
    const share = element('button', 'folder-share', 'Share this folder');
    const stop = element('button', 'folder-stop', 'Stop sharing');
    const note = element('p', 'folder-note');
    note.setAttribute('role', 'status');
    panel.append(sharing, where, up, list, readOnlyLabel, share, stop, note);
    page.byId('cad').before(button);
    document.body.append(panel);

    let state: FolderStateMessage | null = null;
    let listing: FolderListMessage | null = null;
    let path = '';
    let sent = 0;
    const browse = (p: string): void => {
      path = p;
      sent++;
      page.send({ kind: 'folder-browse', path: p });
    };

    button.addEventListener('click', () => {
      panel.hidden = !panel.hidden;
      if (!panel.hidden) browse(path);
      else page.canvas.focus();
    });
    up.addEventListener('click', () => browse(parentPath(path)));
    share.addEventListener('click', () => {
      sent++;
      page.send({ kind: 'folder-share', path, readOnly: readOnly.checked });
    });
    stop.addEventListener('click', () => {
      sent++;
      page.send({ kind: 'folder-stop' });
    });

    const render = (): void => {
      button.hidden = !state?.offered;
      if (!state?.offered) panel.hidden = true;
      if (!state) return;
      sharing.textContent = sharingLine(state);
      stop.disabled = !state.shared;
      const shown = listing && listing.path === path ? listing : null;
      where.textContent = path ? `${state.root}/${path}` : state.root;
      up.disabled = path === '';
      list.replaceChildren(
        ...(shown?.folders ?? []).map((name) => {
          const item = document.createElement('li');
          const open = document.createElement('button');
          open.textContent = name;
          open.dataset.folder = name;
          open.addEventListener('click', () => browse(childPath(path, name)));
          item.append(open);
          return item;
        }),
      );
      note.textContent = shown?.note || state.note;
    };

    return {
      onHostMessage(m) {
        if (m.kind === 'folder-state') state = m;
        else if (m.kind === 'folder-list') listing = m;
        else return false;
        render();
        return true;
      },
      onBridgeClosed() {
        state = null;
        listing = null;
        render();
      },
      state: () => ({
        folders: {
          offered: state?.offered ?? false,
          root: state?.root ?? '',
          shared: state?.shared ?? '',
          readOnly: state?.readOnly ?? false,
          note: state?.note ?? '',
          path,
          listed: listing?.path === path ? listing.folders : [],
          listNote: listing?.note ?? '',
          sent,
        },
      }),
    };
  },
};
