// The QMP handler alone, with QEMU's lines played by the test: the handshake, query-status, the
// five power actions (each sends its one command and nothing else), events keeping the state, and
// clear errors for what QEMU would never send.
import { describe, expect, it } from 'vitest';
import { powerActions, powerCommands, QmpPort, type VmState } from '../../../../src/protocol/channels/port/qmp-port.ts';
import type { PortIo } from '../../../../src/protocol/channels/port/port-handler.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { ProtocolError } from '../../../../src/protocol/wire/errors.ts';
import { qmpGreeting, qmpLine } from './port-bodies.ts';

function fakeQemu() {
  const sent: { execute: string; id: number }[] = [];
  const io: PortIo = {
    write: (bytes) => {
      const text = new TextDecoder().decode(bytes);
      expect(text.endsWith('\r\n')).toBe(true);
      sent.push(JSON.parse(text) as { execute: string; id: number });
    },
    sendEvent: () => {},
    log: silentLogger,
    channelName: 'port',
  };
  const qmp = new QmpPort(io);
  const reply = (value: unknown) => qmp.data(qmpLine(value));
  const last = () => sent[sent.length - 1];
  return { qmp, sent, reply, last };
}

async function ready() {
  const q = fakeQemu();
  q.qmp.opened();
  q.reply(qmpGreeting);
  expect(q.last()).toEqual({ execute: 'qmp_capabilities', id: 1 });
  q.reply({ return: {}, id: 1 });
  await new Promise((r) => setTimeout(r, 0));
  expect(q.qmp.stage).toBe('ready');
  expect(q.last()).toEqual({ execute: 'query-status', id: 2 });
  q.reply({ return: { status: 'running', singlestep: false, running: true }, id: 2 });
  await new Promise((r) => setTimeout(r, 0));
  return q;
}

describe('QmpPort', () => {
  it('greets, negotiates, asks the state; the greeting may come cut anywhere', async () => {
    const q = fakeQemu();
    q.qmp.opened();
    const line = qmpLine(qmpGreeting);
    for (let i = 0; i < line.byteLength; i += 7) q.qmp.data(line.subarray(i, i + 7));
    expect(q.qmp.qemuVersion).toBe('7.2.22');
    expect(q.sent).toEqual([{ execute: 'qmp_capabilities', id: 1 }]);
    const r = await ready();
    expect(r.qmp.state).toEqual({ running: true, status: 'running' });
  });

  it('sends exactly the one command of each power action, and events keep the state', async () => {
    const q = await ready();
    const states: VmState[] = [];
    q.qmp.events.on('state', (s) => states.push(s));
    for (const action of powerActions) {
      const done = q.qmp.power(action);
      const cmd = q.last();
      expect(cmd.execute).toBe(powerCommands[action]);
      if (action === 'pause') q.reply({ timestamp: { seconds: 1, microseconds: 2 }, event: 'STOP' });
      if (action === 'resume') q.reply({ timestamp: { seconds: 1, microseconds: 2 }, event: 'RESUME' });
      if (action === 'reset') q.reply({ event: 'RESET', data: { guest: false, reason: 'host-qmp-system-reset' } });
      if (action === 'off') q.reply({ event: 'SHUTDOWN', data: { guest: false, reason: 'host-qmp-quit' } });
      else q.reply({ return: {}, id: cmd.id });
      await done;
    }
    expect(q.sent.map((s) => s.execute)).toEqual(['qmp_capabilities', 'query-status', 'stop', 'cont', 'system_reset', 'system_powerdown', 'quit']);
    expect(states).toEqual([
      { running: false, status: 'paused' },
      { running: true, status: 'running' },
      { running: false, status: 'shutdown' },
    ]);
  });

  it('rejects an action before the handshake, a QMP error, and pending commands when the port closes', async () => {
    const fresh = fakeQemu();
    await expect(fresh.qmp.power('pause')).rejects.toThrow(/not ready/);
    expect(fresh.sent).toEqual([]);
    const q = await ready();
    const refused = q.qmp.power('resume');
    q.reply({ error: { class: 'GenericError', desc: 'Resetting the Virtual Machine is required' }, id: q.last().id });
    await expect(refused).rejects.toThrow(/QEMU refused cont: Resetting/);
    const pending = q.qmp.power('reset');
    q.qmp.closed();
    await expect(pending).rejects.toThrow(/system_reset: the QMP port closed/);
    await expect(q.qmp.power('pause')).rejects.toThrow(/not ready/);
    // @ts-expect-error: a name outside the five is refused, never sent
    await expect(q.qmp.power('device_add')).rejects.toThrow(/no power action/);
    expect(q.sent.map((s) => s.execute)).toEqual(['qmp_capabilities', 'query-status', 'cont', 'system_reset']);
  });

  it('ends on lines QEMU never sends: not JSON, not an object, not UTF-8, too long, a second greeting', async () => {
    const bad: [Uint8Array, RegExp][] = [
      [new TextEncoder().encode('{"QMP": \r\n'), /not JSON/],
      [new TextEncoder().encode('[1,2]\r\n'), /not a JSON object/],
      [Uint8Array.of(0x7b, 0xff, 0x7d, 0x0a), /not UTF-8/],
      [new Uint8Array((1 << 20) + 1).fill(0x20), /longer than/],
    ];
    for (const [bytes, pattern] of bad) {
      const q = fakeQemu();
      q.qmp.opened();
      expect(() => q.qmp.data(bytes)).toThrow(ProtocolError);
      expect(() => fakeQemu().qmp.data(bytes)).toThrow(pattern);
    }
    const q = fakeQemu();
    q.qmp.opened();
    q.reply(qmpGreeting);
    expect(() => q.reply(qmpGreeting)).toThrow(/second QMP greeting/);
  });
});
