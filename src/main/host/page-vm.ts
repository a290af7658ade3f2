// The page's VM menu in the bridge host: the session's QMP port (org.qemu.monitor.qmp.0, the
// QmpPort handler) reports the VM's state, which goes to the page with the power actions it may
// offer now (VM_STATE); the page's VM_ACTION runs one of the five power actions and its result
// goes back (VM_ACTION_RESULT). The session policy decides whether the page may do this at all
// (kiosk hides the menu): an action from a page that may not is refused here, whatever it sent.
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import { vmActionsFor, type VmActionMessage } from '../../protocol/bridge/vm-messages.ts';
import type { SpiceChannel } from '../../protocol/channel/channel.ts';
import { PortChannel } from '../../protocol/channels/port/port-channel.ts';
import { powerEvents, QmpPort, type PowerAction } from '../../protocol/channels/port/qmp-port.ts';
import type { Logger } from '../../protocol/logger.ts';
import type { Session } from '../../protocol/session/session.ts';

const NO_VM = { kind: 'vm-state', available: false, running: false, status: '', actions: [] } as const satisfies HostMessage;

export class PageVm {
  private session: Session | null = null;
  private qmp: QmpPort | null = null;
  private allowed = false;
  /** The last VM_STATE sent, so that an unchanged state is not sent again. */
  private last = '';

  constructor(
    private readonly send: (m: HostMessage) => void,
    private readonly log: Logger,
  ) {}

  /** Whether the page may show the menu and ask for actions (the session policy's controls.vmMenu). */
  setAllowed(allowed: boolean): void {
    this.allowed = allowed;
  }

  /** The page's session now (null between sessions): the menu goes away until its monitor is ready. */
  attach(session: Session | null): void {
    this.session = session;
    this.qmp = null;
    this.report();
  }

  /** A channel of the page's session linked: a port channel may turn out to be the QEMU monitor. */
  channelLinked(session: Session, ch: SpiceChannel): void {
    if (!(ch instanceof PortChannel)) return;
    ch.events.on('init', () => {
      const handler = ch.handler;
      if (this.session !== session || !(handler instanceof QmpPort)) return;
      this.qmp = handler;
      const mine = () => this.session === session && this.qmp === handler;
      handler.events.on('ready', () => mine() && this.report());
      handler.events.on('state', () => mine() && this.report());
      handler.events.on('closed', () => {
        if (!mine()) return;
        this.qmp = null;
        this.report();
      });
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
    const qmp = this.qmp;
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

  private report(): void {
    const qmp = this.qmp;
    const available = this.allowed && qmp !== null && qmp.stage === 'ready';
    const running = qmp?.state?.running ?? false;
    const m: HostMessage = available
      ? { kind: 'vm-state', available, running, status: qmp.state?.status ?? '', actions: vmActionsFor(true, qmp.state ? running : true) }
      : NO_VM;
    const key = JSON.stringify(m);
    if (key === this.last) return;
    this.last = key;
    this.send(m);
  }
}

export type { PowerAction };
