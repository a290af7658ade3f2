// The host's side of the page's VM menu (src/main/host/page-vm.ts) without a session: what it
// answers a page's VM_ACTION when the policy hides the menu or no monitor is there, and that it
// reports no menu then.
import { describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { PageVm } from '../../../../src/main/host/page-vm.ts';

describe('PageVm', () => {
  it('refuses every action when the policy hides the menu, and reports no menu', async () => {
    const sent: HostMessage[] = [];
    const vm = new PageVm((m) => sent.push(m), silentLogger);
    vm.setAllowed(false);
    vm.attach(null);
    expect(sent).toEqual([{ kind: 'vm-state', available: false, running: false, status: '', actions: [] }]);
    for (const action of ['pause', 'resume', 'reset', 'powerdown', 'off'] as const) await vm.handle({ kind: 'vm-action', action });
    expect(sent.slice(1)).toEqual(
      (['pause', 'resume', 'reset', 'powerdown', 'off'] as const).map((action) => ({ kind: 'vm-action-result', action, ok: false, message: 'the VM menu is off for this session' })),
    );
  });

  it('says so when the VM has no monitor ready', async () => {
    const sent: HostMessage[] = [];
    const vm = new PageVm((m) => sent.push(m), silentLogger);
    vm.setAllowed(true);
    await vm.handle({ kind: 'vm-action', action: 'pause' });
    expect(sent).toEqual([{ kind: 'vm-action-result', action: 'pause', ok: false, message: 'the VM has no monitor (QMP) ready now' }]);
  });
});
