// The VM menu over the bridge (kinds 0x40-0x47 host -> page, 0xc0-0xc7 page -> host): the VM's
// state as QEMU's monitor (the QMP port, channels/port/qmp-port.ts) reports it and which power
// actions the page may offer now (VM_STATE), the page asking for one (VM_ACTION), and how that
// went (VM_ACTION_RESULT). Only the five power actions exist here: nothing else of the monitor
// reaches the page, and the host checks each request against the session's policy again.
import { powerActions, type PowerAction } from '../channels/port/qmp-port.ts';
import { WireWriter } from '../wire/writer.ts';
import { encodeString, FieldReader } from './bridge-fields.ts';
import { HostKind, UiKind } from './kinds.ts';

/** What asking first says, for the actions that lose the guest's unsaved work (the page's and the window's VM menus). */
export const powerActionConfirmations: Partial<Record<PowerAction, string>> = {
  reset: 'Reset the VM? Whatever the guest has not saved is lost.',
  off: 'Force the VM off? QEMU quits at once; whatever the guest has not saved is lost.',
};

/** QMP's RunState names are short ("running", "paused", "shutdown", "inmigrate"). */
export const MAX_VM_STATUS_BYTES = 64;
/** A result's sentence ("QEMU refused stop: ..."). */
export const MAX_VM_RESULT_BYTES = 512;

export interface VmStateMessage {
  kind: 'vm-state';
  /** Whether the VM's monitor is there and ready (false: no QMP port, or it closed). */
  available: boolean;
  running: boolean;
  /** QMP's RunState ('' until QEMU said). */
  status: string;
  /** The actions the page may offer now, in powerActions order. */
  actions: PowerAction[];
}

export interface VmActionResultMessage {
  kind: 'vm-action-result';
  action: PowerAction;
  ok: boolean;
  /** What happened, for the page to show. */
  message: string;
}

export interface VmActionMessage {
  kind: 'vm-action';
  action: PowerAction;
}

export type VmHostMessage = VmStateMessage | VmActionResultMessage;
export type VmUiMessage = VmActionMessage;

const ALL_ACTION_BITS = (1 << powerActions.length) - 1;
const StateFlag = { AVAILABLE: 1, RUNNING: 2 } as const;

const actionBits = (actions: readonly PowerAction[]): number => actions.reduce((bits, a) => bits | (1 << powerActions.indexOf(a)), 0);

function actionIndex(r: FieldReader): PowerAction {
  return powerActions[r.range(r.u8('action'), 'action', 0, powerActions.length - 1)];
}

export function encodeVmHostMessage(m: VmHostMessage): Uint8Array {
  if (m.kind === 'vm-state') {
    return new WireWriter(16)
      .u8(HostKind.VM_STATE)
      .u8((m.available ? StateFlag.AVAILABLE : 0) | (m.running ? StateFlag.RUNNING : 0))
      .u8(actionBits(m.actions))
      .bytes(encodeString(m.status, MAX_VM_STATUS_BYTES))
      .finish();
  }
  return new WireWriter(16)
    .u8(HostKind.VM_ACTION_RESULT)
    .u8(powerActions.indexOf(m.action))
    .u8(m.ok ? 1 : 0)
    .bytes(encodeString(m.message, MAX_VM_RESULT_BYTES))
    .finish();
}

/** Null when the kind is not this file's; a BridgeError for a malformed message. */
export function decodeVmHostMessage(bytes: Uint8Array): VmHostMessage | null {
  if (bytes[0] === HostKind.VM_STATE) {
    const r = new FieldReader(bytes, 'host', 'VM_STATE');
    const flags = r.u8('flags');
    if (flags & ~(StateFlag.AVAILABLE | StateFlag.RUNNING)) r.fail(`unknown flags 0x${flags.toString(16)}`);
    const bits = r.u8('actions');
    if (bits & ~ALL_ACTION_BITS) r.fail(`action bits 0x${bits.toString(16)} outside 0x${ALL_ACTION_BITS.toString(16)}`);
    const status = r.string('status', MAX_VM_STATUS_BYTES);
    r.end();
    const available = (flags & StateFlag.AVAILABLE) !== 0;
    if (!available && bits) r.fail('actions offered without a monitor');
    return { kind: 'vm-state', available, running: (flags & StateFlag.RUNNING) !== 0, status, actions: powerActions.filter((_, i) => bits & (1 << i)) };
  }
  if (bytes[0] === HostKind.VM_ACTION_RESULT) {
    const r = new FieldReader(bytes, 'host', 'VM_ACTION_RESULT');
    const action = actionIndex(r);
    const ok = r.range(r.u8('ok'), 'ok', 0, 1) === 1;
    const message = r.string('message', MAX_VM_RESULT_BYTES);
    r.end();
    return { kind: 'vm-action-result', action, ok, message };
  }
  return null;
}

export function encodeVmUiMessage(m: VmUiMessage): Uint8Array {
  return new Uint8Array([UiKind.VM_ACTION, powerActions.indexOf(m.action)]);
}

/** VM_ACTION's fields; the shared UI decoder checks that nothing follows them. */
export function decodeVmUiMessage(kind: number, r: FieldReader): VmUiMessage | null {
  if (kind !== UiKind.VM_ACTION) return null;
  return { kind: 'vm-action', action: actionIndex(r) };
}

/**
 * What the page may offer for a VM in this state (remote-viewer's VM menu): pause while it runs,
 * resume while it does not, and reset, power down and force off whenever the monitor is there.
 */
export function vmActionsFor(available: boolean, running: boolean): PowerAction[] {
  if (!available) return [];
  return powerActions.filter((a) => (a === 'pause' ? running : a === 'resume' ? !running : true));
}
