// `do power` against the QMP handler with QEMU played by the test: the argument is one of the five
// actions, each sends its one command and reports QEMU's event and the state after, an action that
// is already in effect sends nothing, and a missing event or a QMP error is a clear failure.
import { describe, expect, it } from 'vitest';
import type { ScriptContext, ScriptVm } from '../../../../../src/main/commands/do/action.ts';
import { parseDoArgs } from '../../../../../src/main/commands/do/do-command.ts';
import { powerActionsFamily } from '../../../../../src/main/commands/do/power-actions.ts';
import { ExitCode } from '../../../../../src/main/node/exit-codes.ts';
import type { PortIo } from '../../../../../src/protocol/channels/port/port-handler.ts';
import { QmpPort } from '../../../../../src/protocol/channels/port/qmp-port.ts';
import { silentLogger } from '../../../../../src/protocol/logger.ts';
import { qmpGreeting, qmpLine } from '../../../channels/port/port-bodies.ts';

const power = powerActionsFamily.find((a) => a.name === 'power')!;

/** A QMP handler whose QEMU answers each command as QEMU 7.2 does (event first), unless told otherwise. */
async function qemu(o: { status?: string; silentEvents?: boolean; refuse?: string } = {}) {
  const sent: string[] = [];
  let status = o.status ?? 'running';
  const answer = (value: unknown) => queueMicrotask(() => qmp.data(qmpLine(value)));
  const io: PortIo = {
    write(bytes) {
      const { execute, id } = JSON.parse(new TextDecoder().decode(bytes)) as { execute: string; id: number };
      sent.push(execute);
      const events: Record<string, [string, string | null]> = { stop: ['STOP', 'paused'], cont: ['CONT', 'running'], system_reset: ['RESET', null], system_powerdown: ['POWERDOWN', null] };
      if (execute === o.refuse) return answer({ error: { class: 'GenericError', desc: 'not now' }, id });
      if (execute === 'query-status') return answer({ return: { status, running: status === 'running' }, id });
      const e = events[execute];
      if (e) {
        if (e[1]) status = e[1];
        if (!o.silentEvents) answer({ event: e[0] === 'CONT' ? 'RESUME' : e[0], timestamp: { seconds: 1, microseconds: 0 } });
      }
      answer({ return: {}, id });
    },
    sendEvent: () => {},
    log: silentLogger,
    channelName: 'port',
  };
  const qmp = new QmpPort(io);
  qmp.opened();
  qmp.data(qmpLine(qmpGreeting));
  while (qmp.state === null) await new Promise((r) => setTimeout(r, 1));
  const progress: string[] = [];
  const vm: ScriptVm = { qmp: async () => qmp, bounded: (p) => p, progress: (l) => progress.push(l) };
  return { qmp, sent, progress, script: { logger: silentLogger, vm } as unknown as ScriptContext };
}

describe('do power', () => {
  it('takes one of pause, resume, reset, powerdown, off', () => {
    const line = parseDoArgs(['spice://h:1', 'power', 'pause', 'power', 'off']);
    expect(line.actions.map((a) => [a.name, a.args, a.needs])).toEqual([
      ['power', { action: 'pause' }, ['qmp']],
      ['power', { action: 'off' }, ['qmp']],
    ]);
    expect(() => parseDoArgs(['t', 'power'])).toThrow(/power needs a power action \(pause, resume, reset, powerdown, off\)/);
    expect(() => parseDoArgs(['t', 'power', 'device_add'])).toThrow(/power takes one of pause, resume, reset, powerdown, off, got "device_add"/);
  });

  it('pause, resume, reset: one command each, confirmed by its event, the state said after', async () => {
    const q = await qemu();
    expect(await power.run({ action: 'pause' }, q.script)).toBeNull();
    expect(await power.run({ action: 'resume' }, q.script)).toBeNull();
    expect(await power.run({ action: 'reset' }, q.script)).toBeNull();
    expect(q.progress).toEqual([
      'power pause: QEMU sent STOP; the VM is paused (was running)',
      'power resume: QEMU sent RESUME; the VM is running (was paused)',
      'power reset: QEMU sent RESET; the VM is running',
    ]);
    expect(q.sent).toEqual(['qmp_capabilities', 'query-status', 'stop', 'query-status', 'cont', 'query-status', 'system_reset', 'query-status']);
  });

  it('sends nothing to pause a paused VM; a missing event or a refusal fails with the protocol exit code', async () => {
    const paused = await qemu({ status: 'paused' });
    expect(await power.run({ action: 'pause' }, paused.script)).toBeNull();
    expect(paused.progress).toEqual(['power pause: the VM is already paused; nothing sent']);
    expect(paused.sent).toEqual(['qmp_capabilities', 'query-status']);
    const silent = await qemu({ silentEvents: true });
    expect(await power.run({ action: 'powerdown' }, silent.script)).toEqual({ code: ExitCode.PROTOCOL, message: 'power powerdown: QEMU accepted system_powerdown but sent no POWERDOWN event' });
    const refusing = await qemu({ refuse: 'system_reset' });
    expect(await power.run({ action: 'reset' }, refusing.script)).toEqual({ code: ExitCode.PROTOCOL, message: 'power reset: QEMU refused system_reset: not now' });
  });
});
