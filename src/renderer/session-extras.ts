// The page's password dialog, resize-to-fit and clipboard, wired to the bridge in one place so
// that main.ts only hands messages over.
import type { HostMessage, UiMessage } from '../protocol/bridge/bridge-messages.ts';
import { ClipboardSync, imageParts, sharingFromOption } from './clipboard-sync.ts';
import { FileDrop } from './file-drop.ts';
import { PasswordDialog } from './password-dialog.ts';
import { ResizeToFit } from './resize-to-fit.ts';
import type { StatusLine } from './status-line.ts';

export interface SessionExtrasOptions {
  send(m: UiMessage): void;
  status: StatusLine;
  /** Where keyboard focus goes back to after the dialog or the toggle. */
  canvas: HTMLElement;
  /** The URL's # options: resize=never, clipboard=both|to-guest|from-guest|off. */
  options: URLSearchParams;
  byId<T extends HTMLElement>(id: string): T;
}

export class SessionExtras {
  private readonly agent = { connected: false, monitorsConfig: false, clipboard: false };
  private readonly passwordDialog: PasswordDialog;
  private readonly resize: ResizeToFit;
  private readonly clipboard: ClipboardSync;
  /** Files dropped on the view, and their list (file-drop.ts). */
  private readonly files: FileDrop;

  constructor(private readonly o: SessionExtrasOptions) {
    this.passwordDialog = new PasswordDialog(o.byId<HTMLDialogElement>('password-dialog'), ({ password }) => {
      o.send(password === null ? { kind: 'password-cancel' } : { kind: 'password', password });
      o.canvas.focus();
    });
    const toggle = o.byId<HTMLInputElement>('resize-toggle');
    toggle.checked = o.options.get('resize') !== 'never';
    this.resize = new ResizeToFit(o.byId('view'), (size) => o.send({ kind: 'display-size', ...size }), toggle.checked);
    toggle.addEventListener('change', () => {
      this.resize.setEnabled(toggle.checked);
      o.canvas.focus();
    });
    this.clipboard = new ClipboardSync(
      sharingFromOption(o.options.get('clipboard')),
      (text) => o.send({ kind: 'clipboard-text', text }),
      () => o.status.state === 'connected',
      (png) => imageParts(png).forEach((part) => o.send(part)),
    );
    this.clipboard.bindSelect(o.byId<HTMLSelectElement>('clipboard-mode'), (sharing) => o.send({ kind: 'clipboard-sharing', ...sharing }));
    this.files = new FileDrop(o.byId('view'), o.byId('transfers'), o.send, () => o.status.state === 'connected');
  }

  /** Takes the host messages this part of the page handles; false for the others. */
  onHostMessage(m: HostMessage): boolean {
    switch (m.kind) {
      case 'status': {
        const s = m.status.state;
        // The host has the HELLO by now: it learns what the user allows before the agent appears.
        if (s === 'connecting') this.o.send({ kind: 'clipboard-sharing', ...this.clipboard.currentSharing });
        if (s === 'error' || s === 'closed') this.passwordDialog.dismiss();
        this.resize.setActive(s === 'connected' && this.agent.monitorsConfig);
        return false;
      }
      case 'password-request':
        this.o.status.show('connecting', 'the server wants a password');
        this.passwordDialog.ask(m.reason);
        return true;
      case 'clipboard-text':
        void this.clipboard.fromGuest(m.text);
        return true;
      case 'clipboard-image':
        // Copied: the packet's buffer goes to the decode worker.
        void this.clipboard.imageFromGuest(m.png.slice());
        return true;
      case 'clipboard-policy':
        this.clipboard.setPolicy({ toGuest: m.toGuest, fromGuest: m.fromGuest });
        return true;
      case 'file-credit':
      case 'file-progress':
      case 'file-result':
        return this.files.onHostMessage(m);
      case 'agent':
        Object.assign(this.agent, { connected: m.connected, monitorsConfig: m.monitorsConfig, clipboard: m.clipboard });
        this.resize.setActive(this.o.status.state === 'connected' && m.monitorsConfig);
        return true;
      default:
        return false;
    }
  }

  onClosed(): void {
    this.passwordDialog.dismiss();
    this.files.onClosed();
    this.resize.setActive(false);
  }

  /** For the page's test hooks. */
  state(): object {
    return {
      passwordDialogs: this.passwordDialog.shown,
      passwordDialogOpen: this.passwordDialog.open,
      agent: { ...this.agent },
      resizeToFit: this.resize.enabled,
      displayArea: this.resize.measured,
      clipboard: { ...this.clipboard.stats, sharing: this.clipboard.currentSharing, policy: this.clipboard.hostPolicy },
      files: { ...this.files.stats, rows: this.files.list.snapshot() },
    };
  }
}
