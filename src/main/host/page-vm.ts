// The page's VM menu in the bridge host: the session's QMP port (org.qemu.monitor.qmp.0, the
// QmpPort handler) reports the VM's state, which goes to the page with the power actions it may
// offer now (VM_STATE); the page's VM_ACTION runs one of the five power actions and its result
// goes back (VM_ACTION_RESULT). The session policy decides whether the page may do this at all
// (kiosk hides the menu): an action from a page that may not is refused here, whatever it sent.
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import { vmActionsFor, type VmActionMessage } from '../../protocol/bridge/vm-messages.ts';
import type { PortChannel } from '../../protocol/channels/port/port-channel.ts';
import { powerEvents, QmpPort, type PowerAction } from '../../protocol/channels/port/qmp-port.ts';
import type { Logger } from '../../protocol/logger.ts';
import { PagePortPart } from './page-port-part.ts';

const NO_VM = { kind: 'vm-state', available: false, running: false, status: '', actions: [] } as const satisfies HostMessage;

export class PageVm extends PagePortPart<QmpPort> {
  constructor(send: (m: HostMessage) => void, log: Logger) {
    super(send, log, QmpPort);
  }

  protected follow(_ch: PortChannel, handler: QmpPort, mine: () => boolean): void {
    handler.events.on('ready', () => mine() && this.report());
    handler.events.on('state', () => mine() && this.report());
    handler.events.on('closed', () => {
      if (!mine()) return;
      this.handler = null;
      this.report();
    });
  }

  /** VM_ACTION from the page. */
  async handle(m: VmActionMessage): Promise<void> {
    const result = (ok: boolean, message: string): void => this.send({ kind: 'vm-action-result', action: m.action, ok, message });
    if (!this.allowed) {
      this.log.warn({ action: m.action }, 'refusing a VM action: the session policy hides the VM menu');
      return result(false, 'the VM menu is off for this session');
    }
    const qmp = this.handler;
    if (!qmp || qmp.stage !== 'ready') return result(false, 'the VM has no monitor (QMP) ready now');
    const offered = vmActionsFor(true, qmp.state?.running ?? true);
    if (!offered.includes(m.action)) return result(false, `${m.action} is not offered while the VM is ${qmp.state?.status ?? 'in this state'}`);
    this.log.info({ action: m.action }, `VM action ${m.action} from the page`);
    try {
      await qmp.power(m.action);
      result(true, `${m.action}: done (QEMU's ${powerEvents[m.action]})`);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.log.warn({ action: m.action, err: message }, `VM action ${m.action} failed: ${message}`);
      result(false, message);
    }
  }

  protected report(): void {
    const qmp = this.handler;
    const available = this.allowed && qmp !== null && qmp.stage === 'ready';
    const running = qmp?.state?.running ?? false;
    this.sendIfChanged(
      available ? { kind: 'vm-state', available, running, status: qmp.state?.status ?? '', actions: vmActionsFor(true, qmp.state ? running : true) } : NO_VM,
    );
  }
}

export type { PowerAction };
