// The page's "USB devices" panel: the host's devices (the machine's own through `usb`, the shared
// CDs) with a switch each, the VM's USB slots and what is on each, and the last attach's or
// detach's outcome (the refusal's sentence when there is one). It appears once the host sends
// USB_STATE (the session has USB slots); a switch asks the host (USB_ATTACH / USB_DETACH), and
// the next USB_STATE says where the device really is. Head windows do not show it.
import type { UsbStateMessage } from '../protocol/bridge/usb-messages.ts';
import type { PagePart } from './page-parts.ts';

export interface UsbPanelRow {
  id: string;
  label: string;
  /** The switch: on when the device is in the VM. */
  on: boolean;
  /** Off while its own attach or detach is under way. */
  busy: boolean;
  where: string;
}

/** The rows the panel shows for a state, with the devices asked about and not answered yet. */
export function usbPanelRows(state: UsbStateMessage, pending: ReadonlySet<string>): UsbPanelRow[] {
  return state.devices.map((d) => ({
    id: d.id, label: d.label, on: d.slot !== '', busy: pending.has(d.id),
    where: pending.has(d.id) ? 'working…' : d.slot !== '' ? `in the VM (${d.slot})` : 'here',
  }));
}

/** "2 USB slots, 1 free". */
export function usbSlotsLine(state: UsbStateMessage): string {
  const free = state.slots.filter((s) => s.device === '').length;
  if (state.slots.length === 0) return 'the VM has no USB slots';
  return `${state.slots.length} USB slot${state.slots.length === 1 ? '' : 's'}, ${free} free`;
}

export const usbPart: PagePart = {
  name: 'usb-panel',
  applies: (context) => !context.headWindow,
  mount(page) {
    const button = page.byId<HTMLButtonElement>('usb-button');
    const panel = page.byId<HTMLElement>('usb-panel');
    const list = page.byId<HTMLUListElement>('usb-devices');
    const slotsLine = page.byId<HTMLElement>('usb-slots');
    const notice = page.byId<HTMLElement>('usb-notice');
    const result = page.byId<HTMLElement>('usb-result');
    let state: UsbStateMessage | null = null;
    const pending = new Set<string>();
    let lastResult = '';

    const toggle = (id: string, on: boolean): void => {
      if (pending.has(id)) return;
      pending.add(id);
      page.send({ kind: on ? 'usb-attach' : 'usb-detach', id });
      render();
    };
    const render = (): void => {
      if (!state) return;
      button.hidden = false;
      slotsLine.textContent = usbSlotsLine(state);
      notice.textContent = state.notice;
      notice.hidden = state.notice === '';
      result.textContent = lastResult;
      list.replaceChildren(...usbPanelRows(state, pending).map((row) => {
        const item = document.createElement('li');
        const label = document.createElement('label');
        const input = document.createElement('input');
        input.type = 'checkbox';
        input.checked = row.on;
        input.disabled = row.busy;
        input.dataset.id = row.id;
        input.addEventListener('change', () => toggle(row.id, input.checked));
        const where = document.createElement('span');
        where.className = 'where';
        where.textContent = row.where;
        label.append(input, ` ${row.label} `, where);
        item.append(label);
        return item;
      }));
      if (state.devices.length === 0) {
        const item = document.createElement('li');
        item.textContent = 'no devices';
        list.append(item);
      }
    };
    button.addEventListener('click', () => {
      panel.hidden = !panel.hidden;
      button.setAttribute('aria-expanded', String(!panel.hidden));
    });

    return {
      onHostMessage(m) {
        if (m.kind === 'usb-state') {
          state = m;
          render();
          return true;
        }
        if (m.kind === 'usb-result') {
          pending.delete(m.id);
          lastResult = m.message;
          render();
          return true;
        }
        return false;
      },
      onBridgeClosed() {
        state = null;
        pending.clear();
        button.hidden = true;
        panel.hidden = true;
      },
      state: () => ({ usb: state ? { devices: usbPanelRows(state, pending), slots: usbSlotsLine(state), notice: state.notice, lastResult } : null }),
      testHooks: () => ({ usbToggle: (id: string, on: boolean) => toggle(id, on) }),
    };
  },
};
