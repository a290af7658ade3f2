// The VM's serial console in the page, where the server offers QEMU's serial console port
// (org.qemu.console.serial.0; the host says so with SERIAL_STATE): a "Serial console" button in
// the bar opens a terminal (xterm.js) under it. The guest's output (SERIAL_DATA) is written into
// the terminal as it comes, whether or not the panel is open (a real serial line would scroll by
// too); what the user types into the terminal goes to the guest's serial port (SERIAL_INPUT), not
// to its keyboard: the terminal has the focus while it is used, the screen gets it back when the
// panel closes. Hidden in kiosk mode (the host then offers no console) and in guest head windows.
import type { Terminal } from '@xterm/xterm';
import { serialInputPieces } from '../protocol/bridge/serial-messages.ts';
import type { PagePart } from './page-parts.ts';
import { element } from './dom.ts';
import { PendingBytes } from './pending-bytes.ts';

const utf8 = new TextEncoder();

/**
 * xterm.js is its own file beside main.js (xterm-module.ts), loaded when the host first says the VM
 * has a serial console: most VMs have none, and in main.js it delayed every page's start.
 */
const XTERM_MODULE = './xterm-module.js';
const loadXterm = (): Promise<typeof import('./xterm-module.ts')> => import(XTERM_MODULE) as Promise<typeof import('./xterm-module.ts')>;

/** The guest's output kept while xterm.js loads (the terminal's scrollback is about this much text). */
const PENDING_OUTPUT_BYTES = 1 << 20;

export const serialConsolePart: PagePart = {
  name: 'serial-console',
  applies: (context) => !context.headWindow,
  mount(page) {
    const button = element('button', 'serial-button', 'Serial console');
    button.type = 'button';
    button.title = "The VM's serial console (its first serial port, as QEMU offers it over SPICE)";
    button.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    button.setAttribute('aria-controls', 'serial-panel');
    page.byId('cad').before(button);

    const panel = element('section', 'serial-panel');
    panel.setAttribute('aria-label', 'Serial console');
    panel.hidden = true;
    const heading = document.createElement('div');
    heading.className = 'heading';
    const title = document.createElement('span');
    title.textContent = 'Serial console';
    const stateText = element('span', 'serial-state');
    stateText.setAttribute('role', 'status');
    heading.append(title, stateText);
    const holder = element('div', 'serial-terminal');
    panel.append(heading, holder);
    page.byId('view').after(panel);

    let terminal: Terminal | null = null;
    let loading: Promise<void> | null = null;
    const pending = new PendingBytes(PENDING_OUTPUT_BYTES);
    let opened = false;
    let available = false;
    let open = false;
    let received = 0;
    let sent = 0;

    const send = (bytes: Uint8Array): void => {
      if (!available || !open || bytes.byteLength === 0) return;
      for (const piece of serialInputPieces(bytes)) {
        sent += piece.byteLength;
        page.send({ kind: 'serial-input', bytes: piece });
      }
    };
    /** Loads xterm.js once and makes the terminal, with what the guest wrote meanwhile. */
    const loadTerminal = (): Promise<void> =>
      (loading ??= loadXterm().then(
        ({ Terminal }) => {
          const t = new Terminal({ convertEol: false, scrollback: 5000, fontSize: 13, cursorBlink: true });
          t.onData((text) => send(utf8.encode(text)));
          // Bytes xterm reports as binary (some mouse reports) are Latin-1 code units.
          t.onBinary((text) => send(Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff)));
          for (const chunk of pending.take()) t.write(chunk);
          terminal = t;
          if (!panel.hidden) show(true);
        },
        (error: unknown) => {
          stateText.textContent = ` (the terminal did not load: ${error instanceof Error ? error.message : String(error)})`;
        },
      ));

    const show = (shown: boolean): void => {
      panel.hidden = !shown;
      button.setAttribute('aria-expanded', String(shown));
      if (shown) {
        if (!terminal) {
          // Shown once it has loaded (loadTerminal shows it again).
          void loadTerminal();
          return;
        }
        // xterm measures its cells when it opens: only in a panel that is shown.
        if (!opened) {
          terminal.open(holder);
          opened = true;
        }
        terminal.focus();
      } else page.canvas.focus();
    };
    button.addEventListener('click', () => show(panel.hidden));

    const render = (): void => {
      button.hidden = !available;
      stateText.textContent = open ? '' : ' (closed on the VM side)';
      if (!available && !panel.hidden) show(false);
    };

    return {
      onHostMessage(m) {
        switch (m.kind) {
          case 'serial-state':
            available = m.available;
            open = m.open;
            render();
            if (available) void loadTerminal();
            return true;
          case 'serial-data':
            received += m.bytes.byteLength;
            if (terminal) terminal.write(m.bytes);
            else pending.push(m.bytes);
            return true;
          default:
            return false;
        }
      },
      onBridgeClosed() {
        available = false;
        render();
      },
      state: () => {
        const lines: string[] = [];
        const buffer = terminal?.buffer.active ?? { length: 0, getLine: () => undefined };
        for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
        while (lines.length && lines[lines.length - 1] === '') lines.pop();
        return { serial: { available, open, shown: !panel.hidden, received, sent, text: lines.join('\n') } };
      },
    };
  },
};
