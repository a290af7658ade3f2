// The printer chooser in the page's bar, when the host prints the guest's jobs (--print-to): the
// host's printers and "save as a file", as PRINTERS lists them, with the one the next job uses
// selected. Choosing another sends PRINT_CHOOSE; the host's next PRINTERS says what it took (or
// why not, in the note). Hidden while printing is off, in kiosk mode (the bar is) and in guest
// head windows.
import type { PrintersMessage } from '../protocol/bridge/printer-messages.ts';
import type { PagePart } from './page-parts.ts';
import { element } from './dom.ts';

export const printerChooserPart: PagePart = {
  name: 'printer-chooser',
  applies: (context) => !context.headWindow,
  mount(page) {
    const label = element('label', 'printer-label');
    label.title = "Where the guest's next print job goes";
    label.hidden = true;
    const select = element('select', 'printer-choice');
    const note = element('span', 'printer-note');
    note.setAttribute('role', 'status');
    label.append('Print to ', select, note);
    page.byId('cad').before(label);
    let state: PrintersMessage | null = null;
    let sent = 0;

    select.addEventListener('change', () => {
      sent++;
      page.send({ kind: 'print-choose', id: select.value });
      page.canvas.focus();
    });

    const render = (): void => {
      label.hidden = !state || state.choices.length === 0;
      if (!state) return;
      select.replaceChildren(...state.choices.map((c) => new Option(c.label, c.id, false, c.id === state?.chosen)));
      select.value = state.chosen;
      note.textContent = state.note ? ` ${state.note}` : '';
    };

    return {
      onHostMessage(m) {
        if (m.kind !== 'printers') return false;
        state = m;
        render();
        return true;
      },
      onBridgeClosed() {
        state = null;
        render();
      },
      state: () => ({ printers: { shown: !label.hidden, choices: state?.choices ?? [], chosen: state?.chosen ?? '', note: state?.note ?? '', sent } }),
    };
  },
};
