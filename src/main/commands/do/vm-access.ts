// The VM's monitor for `do power`: the QMP port channel once its handshake is done. The port links
// with every other channel; its greeting and handshake take a few round trips after that, so this
// waits for them within the command's timeout and says which step never came.
import { PortChannel } from '../../../protocol/channels/port/port-channel.ts';
import { QMP_PORT_NAME, QmpPort } from '../../../protocol/channels/port/qmp-port.ts';
import { ChannelType } from '../../../protocol/link/constants.ts';
import type { Session } from '../../../protocol/session/session.ts';
import { SpiceError } from '../../../protocol/wire/errors.ts';
import type { Deadline } from '../../node/deadline.ts';
import { withTimeout } from '../../node/with-timeout.ts';
import type { ScriptVm } from './action.ts';

/** How often the wait looks again (ports link in the background; the QMP handshake emits 'ready'). */
const LOOK_EVERY_MS = 20;

export class VmAccess implements ScriptVm {
  constructor(
    private readonly session: Session,
    private readonly where: string,
    private readonly deadline: Deadline,
    private readonly timeoutMs: number,
    private readonly progressLine: (line: string) => void,
  ) {}

  progress(line: string): void {
    this.progressLine(line);
  }

  async qmp(): Promise<QmpPort> {
    const listed = this.session.main.info.channels.some((c) => c.type === ChannelType.PORT);
    if (!listed) throw new SpiceError('protocol', `${this.where} offers no port channels, so no QEMU monitor (QMP) for the power actions (QEMU: -chardev spiceport,name=${QMP_PORT_NAME},id=qmp -mon chardev=qmp,mode=control)`);
    let step = 'the port channels to link and name themselves';
    const found = async (): Promise<QmpPort> => {
      for (;;) {
        const qmp = this.find();
        if (qmp?.stage === 'ready') return qmp;
        if (qmp) step = qmp.stage === 'closed' ? 'QEMU to open its monitor port' : qmp.stage === 'greeting' ? "QEMU's QMP greeting" : 'the QMP handshake (qmp_capabilities)';
        else if (this.allPortsNamed()) throw new SpiceError('protocol', `${this.where} has port channels but none is the QEMU monitor ${QMP_PORT_NAME}`);
        await new Promise((resolve) => setTimeout(resolve, LOOK_EVERY_MS));
      }
    };
    return this.bounded(found(), `${this.where}: no answer from `, () => step);
  }

  bounded<T>(p: Promise<T>, what: string, detail?: () => string): Promise<T> {
    const ms = Math.max(this.deadline.at - Date.now(), this.timeoutMs);
    return withTimeout(p, ms, () => new SpiceError('timeout', `${what}${detail ? detail() : ''} within ${Math.round(ms / 1000)} s`));
  }

  private ports(): PortChannel[] {
    return [...this.session.channels.values()].filter((ch): ch is PortChannel => ch instanceof PortChannel && ch.type === ChannelType.PORT);
  }

  private find(): QmpPort | null {
    for (const ch of this.ports()) if (ch.handler instanceof QmpPort) return ch.handler;
    return null;
  }

  private allPortsNamed(): boolean {
    const listed = this.session.main.info.channels.filter((c) => c.type === ChannelType.PORT).length;
    const ports = this.ports();
    const settled = [...this.session.status.entries()].filter(([k, s]) => k.startsWith(`${ChannelType.PORT}:`) && s.state !== 'linking').length;
    return settled === listed && ports.every((ch) => ch.state !== 'ready' || ch.portName !== null);
  }
}
