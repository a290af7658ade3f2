// The page's "USB devices" panel: the host's devices (the machine's own through `usb`, the shared
// CDs) with a switch each, the VM's USB slots and what is on each, and the last attach's or
// detach's outcome (the refusal's sentence when there is one). It appears once the host sends
// USB_STATE (the session has USB slots); a switch asks the host (USB_ATTACH / USB_DETACH), and
// the next USB_STATE says where the device really is. While a device goes in (from its switch, or
// auto-redirected on plug) its row shows the host's USB_PROGRESS steps. The page tells the host
// when it gains or loses focus (USB_FOCUS): devices plugged while it has focus are auto-redirected
// when the policy says so. Head windows do not show the panel.
import type { UsbAttachStep, UsbStateMessage } from '../protocol/bridge/usb-messages.ts';
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

/** What a row says while its device is at that step of going in ('offered': it is in the VM, whose driver sets it up). */
export const USB_STEP_TEXT: Record<UsbAttachStep, string> = {
  opening: 'opening…',
  claiming: 'claiming it from this machine…',
  connecting: 'connecting to the VM\'s slot…',
  offered: 'the VM is setting it up…',
  configured: 'set up by the VM',
};

export class UsbAttachProgress {
  private readonly steps = new Map<string, UsbAttachStep>();

  step(id: string, step: UsbAttachStep): void {
    if (step === 'configured') this.steps.delete(id);
    else this.steps.set(id, step);
  }

  /** The attach of `id` ended (its result came, or the device left the list). */
  end(id: string): void {
    this.steps.delete(id);
  }

  clear(): void {
    this.steps.clear();
  }

  /** A new USB_STATE: devices it no longer lists, and offered ones that left their slot, are no longer followed. */
  update(state: UsbStateMessage): void {
    const slotOf = new Map(state.devices.map((d) => [d.id, d.slot]));
    for (const [id, step] of [...this.steps]) {
      const slot = slotOf.get(id);
      if (slot === undefined || (step === 'offered' && slot === '')) this.steps.delete(id);
    }
  }

  get(id: string): UsbAttachStep | undefined {
    return this.steps.get(id);
  }
}

/** The rows the panel shows for a state, with the devices asked about and not answered yet, and the attach steps reached. */
export function usbPanelRows(state: UsbStateMessage, pending: ReadonlySet<string>, progress?: UsbAttachProgress): UsbPanelRow[] {
  return state.devices.map((d) => {
    const step = progress?.get(d.id);
    // Offered, the device is in the VM: its switch can take it out again while the guest sets it up.
    const going = step !== undefined && step !== 'offered';
    const inVm = d.slot !== '' ? `in the VM (${d.slot})${step === 'offered' ? `, ${USB_STEP_TEXT.offered}` : ''}` : 'here';
    return {
      id: d.id, label: d.label, on: d.slot !== '', busy: pending.has(d.id) || going,
      where: going ? USB_STEP_TEXT[step] : pending.has(d.id) ? 'working…' : inVm,
    };
  });
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
    const progress = new UsbAttachProgress();
    let lastResult = '';
    // The host auto-redirects plugged devices only while the page has focus: it is told each change.
    // What the window's events last said; until the first one, whether the document has focus now.
    let focused: boolean | null = null;
    let focusSent: boolean | null = null;
    const reportFocus = (): void => {
      if (!state) return;
      const now = (focused ?? document.hasFocus()) && document.visibilityState === 'visible';
      if (now === focusSent) return;
      focusSent = now;
      page.send({ kind: 'usb-focus', focused: now });
    };
    window.addEventListener('focus', () => {
      focused = true;
      reportFocus();
    });
    window.addEventListener('blur', () => {
      focused = false;
      reportFocus();
    });
    document.addEventListener('visibilitychange', reportFocus);

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
      list.replaceChildren(...usbPanelRows(state, pending, progress).map((row) => {
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
          progress.update(m);
          reportFocus();
          render();
          return true;
        }
        if (m.kind === 'usb-progress') {
          progress.step(m.id, m.step);
          render();
          return true;
        }
        if (m.kind === 'usb-result') {
          pending.delete(m.id);
          if (!m.ok) progress.end(m.id);
          lastResult = m.message;
          render();
          return true;
        }
        return false;
      },
      onBridgeClosed() {
        state = null;
        focusSent = null;
        pending.clear();
        progress.clear();
        button.hidden = true;
        panel.hidden = true;
      },
      state: () => ({ usb: state ? { devices: usbPanelRows(state, pending, progress), slots: usbSlotsLine(state), notice: state.notice, lastResult, focusSent } : null }),
      testHooks: () => ({ usbToggle: (id: string, on: boolean) => toggle(id, on) }),
    };
  },
};
