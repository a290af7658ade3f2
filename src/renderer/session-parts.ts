// The page's parts of a session's extras: the password dialog, clipboard sharing, files dropped
// on the view and resize-to-fit, each wired to the bridge here (page-parts.ts), their widgets in
// their own files. They apply to every window: head windows included, as the host decides what
// it sends each of them.
import type { PagePart } from './page-parts.ts';
import { ClipboardSync, imageParts, sharingFromOption } from './clipboard-sync.ts';
import { FileDrop } from './file-drop.ts';
import { PasswordDialog } from './password-dialog.ts';
import { ResizeToFit } from './resize-to-fit.ts';

const always = (): boolean => true;

/** The password dialog, when the server refused the link and the target had none. */
export const passwordPart: PagePart = {
  name: 'password',
  applies: always,
  mount(page) {
    const dialog = new PasswordDialog(page.byId<HTMLDialogElement>('password-dialog'), ({ password }) => {
      page.send(password === null ? { kind: 'password-cancel' } : { kind: 'password', password });
      page.canvas.focus();
    });
    return {
      onHostMessage(m) {
        if (m.kind === 'status' && (m.status.state === 'error' || m.status.state === 'closed')) dialog.dismiss();
        if (m.kind !== 'password-request') return false;
        page.status.show('connecting', 'the server wants a password');
        dialog.ask(m.reason);
        return true;
      },
      onBridgeClosed: () => dialog.dismiss(),
      state: () => ({ passwordDialogs: dialog.shown, passwordDialogOpen: dialog.open }),
    };
  },
};

/** Clipboard sharing both ways (#clipboard=both|to-guest|from-guest|off, and the bar's select). */
export const clipboardPart: PagePart = {
  name: 'clipboard',
  applies: always,
  mount(page) {
    const clipboard = new ClipboardSync(
      sharingFromOption(page.context.options.get('clipboard')),
      (text) => page.send({ kind: 'clipboard-text', text }),
      () => page.status.state === 'connected',
      (png) => imageParts(png).forEach((part) => page.send(part)),
      // The Electron window's main reads the local clipboard on focus itself.
      !page.context.electron,
    );
    clipboard.bindSelect(page.byId<HTMLSelectElement>('clipboard-mode'), (sharing) => page.send({ kind: 'clipboard-sharing', ...sharing }));
    return {
      onHostMessage(m) {
        switch (m.kind) {
          case 'status':
            // The host has the HELLO by now: it learns what the user allows before the agent appears.
            if (m.status.state === 'connecting') page.send({ kind: 'clipboard-sharing', ...clipboard.currentSharing });
            return false;
          case 'clipboard-text':
            void clipboard.fromGuest(m.text);
            return true;
          case 'clipboard-image':
            // Copied: the packet's buffer goes to the decode worker.
            void clipboard.imageFromGuest(m.png.slice());
            return true;
          case 'clipboard-policy':
            clipboard.setPolicy({ toGuest: m.toGuest, fromGuest: m.fromGuest });
            return true;
          default:
            return false;
        }
      },
      state: () => ({ clipboard: { ...clipboard.stats, sharing: clipboard.currentSharing, policy: clipboard.hostPolicy } }),
    };
  },
};

/** Files dropped on the view go to the guest, with their list (file-drop.ts). */
export const filesPart: PagePart = {
  name: 'files',
  applies: always,
  mount(page) {
    const files = new FileDrop(page.byId('view'), page.byId('transfers'), page.send, () => page.status.state === 'connected');
    return {
      onHostMessage: (m) => {
        // The kiosk part applies the rest of the policy: seen here, not taken.
        if (m.kind === 'page-policy') files.setPolicy(m.fileTransfer);
        return m.kind === 'file-credit' || m.kind === 'file-progress' || m.kind === 'file-result' ? files.onHostMessage(m) : false;
      },
      onBridgeClosed: () => files.onClosed(),
      state: () => ({ files: { ...files.stats, allowed: files.allowed, rows: files.list.snapshot() } }),
    };
  },
};

/** The view's size becomes the guest's resolution while the agent can set it (#resize=never, or the toggle, turns it off). */
export const resizePart: PagePart = {
  name: 'resize-to-fit',
  applies: always,
  mount(page) {
    const agent = { connected: false, monitorsConfig: false, clipboard: false };
    const toggle = page.byId<HTMLInputElement>('resize-toggle');
    toggle.checked = page.context.options.get('resize') !== 'never';
    const resize = new ResizeToFit(page.byId('view'), (size) => page.send({ kind: 'display-size', ...size }), toggle.checked);
    toggle.addEventListener('change', () => {
      resize.setEnabled(toggle.checked);
      page.canvas.focus();
    });
    return {
      onHostMessage(m) {
        switch (m.kind) {
          case 'status':
            resize.setActive(m.status.state === 'connected' && agent.monitorsConfig);
            return false;
          case 'agent':
            Object.assign(agent, { connected: m.connected, monitorsConfig: m.monitorsConfig, clipboard: m.clipboard });
            resize.setActive(page.status.state === 'connected' && m.monitorsConfig);
            return true;
          default:
            return false;
        }
      },
      onBridgeClosed: () => resize.setActive(false),
      state: () => ({ agent: { ...agent }, resizeToFit: resize.enabled, displayArea: resize.measured }),
    };
  },
};
