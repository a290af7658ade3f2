// The VM menu in the page's bar, where the server offers QEMU's monitor port: the VM's state as
// QEMU reports it and the five power actions remote-viewer offers (pause, resume, reset, power
// down, force off), each enabled only when the host offers it (VM_STATE). Reset and force off
// lose the guest's unsaved work, so they ask first, in a dialog whose default button is Cancel.
// Hidden in kiosk mode (PAGE_POLICY's controls.vmMenu; the host refuses the actions then as well)
// and in guest head windows (head 1's page has the menu).
import { powerActionConfirmations } from '../protocol/bridge/vm-messages.ts';
import type { PowerAction } from '../protocol/channels/port/qmp-port.ts';
import type { VmStateMessage } from '../protocol/bridge/vm-messages.ts';
import type { PagePart } from './page-parts.ts';

const LABELS: Record<PowerAction, string> = {
  pause: 'Pause',
  resume: 'Resume',
  reset: 'Reset',
  powerdown: 'Power down',
  off: 'Force off',
};

const TITLES: Record<PowerAction, string> = {
  pause: 'Pause the VM (QEMU stops running it)',
  resume: 'Resume the paused VM',
  reset: 'Reset the VM, as its reset button would',
  powerdown: 'Ask the guest to shut down (ACPI power button)',
  off: 'Force the VM off at once (QEMU quits)',
};

/** What asking first says (the desktop window's menu asks the same). */
const CONFIRM = powerActionConfirmations;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, id: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.id = id;
  return e;
}

export const vmMenuPart: PagePart = {
  name: 'vm-menu',
  applies: (context) => !context.headWindow,
  mount(page) {
    // Built here rather than in index.html: only this part shows or reads them.
    const menu = element('span', 'vm-menu');
    menu.hidden = true;
    menu.setAttribute('role', 'group');
    menu.setAttribute('aria-label', 'Virtual machine');
    const stateText = element('span', 'vm-state');
    stateText.setAttribute('role', 'status');
    menu.append(stateText);
    const buttons = new Map<PowerAction, HTMLButtonElement>();
    for (const action of Object.keys(LABELS) as PowerAction[]) {
      const b = element('button', `vm-${action}`);
      b.type = 'button';
      b.textContent = LABELS[action];
      b.title = TITLES[action];
      b.disabled = true;
      b.addEventListener('click', () => choose(action));
      buttons.set(action, b);
      menu.append(b);
    }
    const problem = element('span', 'vm-problem');
    problem.setAttribute('role', 'alert');
    problem.hidden = true;
    menu.append(problem);
    const cad = page.byId('cad');
    cad.before(menu);

    const confirm = element('dialog', 'vm-confirm');
    const question = document.createElement('p');
    const confirmButtons = document.createElement('div');
    confirmButtons.className = 'buttons';
    const cancel = element('button', 'vm-confirm-cancel');
    cancel.type = 'button';
    cancel.textContent = 'Cancel';
    const go = element('button', 'vm-confirm-ok');
    go.type = 'button';
    confirmButtons.append(cancel, go);
    confirm.append(question, confirmButtons);
    document.body.append(confirm);
    let asking: PowerAction | null = null;
    const closeConfirm = (): void => {
      asking = null;
      if (confirm.open) confirm.close();
      page.canvas.focus();
    };
    cancel.addEventListener('click', closeConfirm);
    confirm.addEventListener('cancel', () => (asking = null));
    go.addEventListener('click', () => {
      const action = asking;
      closeConfirm();
      if (action) send(action);
    });

    let allowed = true;
    let vm: VmStateMessage | null = null;
    let lastResult: { action: PowerAction; ok: boolean; message: string } | null = null;
    let sent = 0;

    const render = (): void => {
      const shown = allowed && vm !== null && vm.available;
      menu.hidden = !shown;
      if (!shown) {
        if (confirm.open) closeConfirm();
        return;
      }
      stateText.textContent = `VM: ${vm?.status || (vm?.running ? 'running' : 'unknown')}`;
      stateText.dataset.status = vm?.status ?? '';
      for (const [action, b] of buttons) b.disabled = !vm?.actions.includes(action);
    };

    function send(action: PowerAction): void {
      sent++;
      problem.hidden = true;
      page.send({ kind: 'vm-action', action });
    }

    function choose(action: PowerAction): void {
      if (!vm?.actions.includes(action)) return;
      const question_ = CONFIRM[action];
      if (!question_) {
        send(action);
        page.canvas.focus();
        return;
      }
      asking = action;
      question.textContent = question_;
      go.textContent = LABELS[action];
      confirm.showModal();
      cancel.focus();
    }

    return {
      onHostMessage(m) {
        switch (m.kind) {
          case 'page-policy':
            allowed = m.controls.vmMenu;
            render();
            return false; // the kiosk part applies the rest
          case 'vm-state':
            vm = m;
            render();
            return true;
          case 'vm-action-result':
            lastResult = { action: m.action, ok: m.ok, message: m.message };
            // A failure stays shown until the next action; success shows in the state itself.
            problem.hidden = m.ok;
            problem.textContent = m.ok ? '' : `${LABELS[m.action]}: ${m.message}`;
            return true;
          default:
            return false;
        }
      },
      onBridgeClosed() {
        vm = null;
        render();
      },
      state: () => ({
        vm: {
          shown: !menu.hidden,
          status: vm?.status ?? null,
          running: vm?.running ?? null,
          enabled: [...buttons].filter(([, b]) => !b.disabled).map(([a]) => a),
          confirming: asking,
          sent,
          lastResult,
        },
      }),
    };
  },
};
