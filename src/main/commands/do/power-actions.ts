// `do power`: the VM's power menu as remote-viewer has it (pause, resume, reset, power down, force
// off), through the QEMU monitor on the org.qemu.monitor.qmp.0 port. Each action sends its one QMP
// command, and is confirmed by QMP's event for it; the VM's state is asked again afterwards.
import { powerActions, powerCommands, powerEvents, type PowerAction } from '../../../protocol/channels/port/qmp-port.ts';
import { SpiceError } from '../../../protocol/wire/errors.ts';
import { ExitCode, exitCodeFor } from '../../node/exit-codes.ts';
import { defineAction, usage, type DoActionDefinition } from './action.ts';

/** The state an action leaves the VM in, when it has one to compare with before sending. */
const targetStatus: Partial<Record<PowerAction, string>> = { pause: 'paused', resume: 'running' };

export const powerActionsFamily: readonly DoActionDefinition<unknown>[] = [
  defineAction<{ action: PowerAction }>({
    name: 'power',
    synopsis: 'power pause|resume|reset|powerdown|off',
    help:
      "the VM's power menu, through QEMU's monitor port\n" +
      '(org.qemu.monitor.qmp.0): pause and resume the VM, reset it,\n' +
      'ask the guest to power down (ACPI), or force it off (QEMU\n' +
      'quits); waits for QEMU to confirm and says the VM state',
    needs: ['qmp'],
    repeatable: false,
    parse(words) {
      const action = words.take(`a power action (${powerActions.join(', ')})`);
      if (!(powerActions as string[]).includes(action)) throw usage(`power takes one of ${powerActions.join(', ')}, got "${action}"`);
      return { action: action as PowerAction };
    },
    async run({ action }, script) {
      const vm = script.vm;
      const command = powerCommands[action];
      const event = powerEvents[action];
      try {
        const qmp = await vm.qmp();
        // The monitor is ready once the handshake is done; the state it asks for then may not be in yet.
        const before = (qmp.state ?? (await vm.bounded(qmp.queryStatus(), 'the VM state (query-status)'))).status;
        if (targetStatus[action] !== undefined && before === targetStatus[action]) {
          vm.progress(`power ${action}: the VM is already ${before}; nothing sent`);
          return null;
        }
        let confirmed = false;
        const off = qmp.events.on('event', ({ name }) => {
          if (name === event) confirmed = true;
        });
        try {
          await vm.bounded(qmp.power(action), `QEMU's answer to ${command}`);
        } finally {
          off();
        }
        // QEMU sends the event before its answer: missing now, it was never sent.
        if (!confirmed && action !== 'off') return { code: ExitCode.PROTOCOL, message: `power ${action}: QEMU accepted ${command} but sent no ${event} event` };
        if (action === 'off') {
          vm.progress(`power off: QEMU ${confirmed ? 'sent SHUTDOWN and ' : ''}quit`);
          return null;
        }
        const state = await vm.bounded(qmp.queryStatus(), 'the VM state (query-status)');
        vm.progress(`power ${action}: QEMU sent ${event}; the VM is ${state.status}${before !== state.status ? ` (was ${before})` : ''}`);
        return null;
      } catch (e) {
        if (!(e instanceof SpiceError)) throw e;
        return { code: exitCodeFor(e.kind), message: `power ${action}: ${e.message}` };
      }
    },
  }),
];
