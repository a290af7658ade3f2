// USB redirection over the bridge (kinds 0x48-0x4f host -> page, 0xc8-0xcf page -> host): the
// page's "USB devices" panel. USB_STATE lists the host's devices (id, name, where redirected) and
// the VM's slots, sent whenever that changes; USB_RESULT answers one attach or detach with the
// refusal's sentence when there is one. The page asks with USB_ATTACH / USB_DETACH naming a device
// by the id USB_STATE gave it; the host checks that id against its own list. USB_PROGRESS names the
// step a device on its way into the VM has reached (the panel shows it instead of "working…").
// USB_FOCUS tells the host the page gained or lost focus: auto-redirect of plugged devices happens
// only while the session has it, as in remote-viewer.
import { WireWriter } from '../wire/writer.ts';
import { encodeString, FieldReader } from './bridge-fields.ts';
import { HostKind, UiKind } from './kinds.ts';

/** Bounds: a machine with more devices or slots than this is listed in part. */
export const UsbLimits = { maxDevices: 64, maxSlots: 32, maxIdBytes: 512, maxTextBytes: 1024 } as const;

export interface UsbPanelDevice {
  /** The source's id: BUS-PORT, or cd:FILE. */
  id: string;
  /** "SanDisk Ultra Fit (0781:5583)". */
  label: string;
  /** The slot it is redirected on, or '' when it is not. */
  slot: string;
}

export interface UsbStateMessage {
  kind: 'usb-state';
  /** Why there are no devices of this machine ("no USB on this machine (...)"), or ''. */
  notice: string;
  devices: UsbPanelDevice[];
  /** The VM's usbredir slots, and what is on each ('' when free). */
  slots: { name: string; device: string }[];
}

export interface UsbResultMessage {
  kind: 'usb-result';
  id: string;
  ok: boolean;
  /** What happened, or the refusal's sentence. */
  message: string;
}

export interface UsbAttachMessage {
  kind: 'usb-attach' | 'usb-detach';
  id: string;
}

/**
 * The steps of an attach, in order: the device opened, its interfaces claimed (sources with
 * nothing to claim skip it), connecting to the slot (the guest's hello, its filter, the reset),
 * offered (device_connect sent; the guest's driver has not configured it yet), configured.
 */
export const USB_ATTACH_STEPS = ['opening', 'claiming', 'connecting', 'offered', 'configured'] as const;
export type UsbAttachStep = typeof USB_ATTACH_STEPS[number];

export interface UsbProgressMessage {
  kind: 'usb-progress';
  id: string;
  step: UsbAttachStep;
}

export interface UsbFocusMessage {
  kind: 'usb-focus';
  focused: boolean;
}

export type UsbHostMessage = UsbStateMessage | UsbResultMessage | UsbProgressMessage;
export type UsbUiMessage = UsbAttachMessage | UsbFocusMessage;

const text = (w: WireWriter, s: string, max: number): WireWriter => w.bytes(encodeString(s, max));

export function encodeUsbHostMessage(m: UsbHostMessage): Uint8Array {
  if (m.kind === 'usb-progress') {
    const w = new WireWriter(32).u8(HostKind.USB_PROGRESS);
    return text(w, m.id, UsbLimits.maxIdBytes).u8(USB_ATTACH_STEPS.indexOf(m.step)).finish();
  }
  if (m.kind === 'usb-result') {
    const w = new WireWriter(32).u8(HostKind.USB_RESULT);
    text(w, m.id, UsbLimits.maxIdBytes).u8(m.ok ? 1 : 0);
    return text(w, m.message, UsbLimits.maxTextBytes).finish();
  }
  const w = new WireWriter(256).u8(HostKind.USB_STATE);
  text(w, m.notice, UsbLimits.maxTextBytes);
  const devices = m.devices.slice(0, UsbLimits.maxDevices);
  w.u8(devices.length);
  for (const d of devices) text(text(text(w, d.id, UsbLimits.maxIdBytes), d.label, UsbLimits.maxTextBytes), d.slot, UsbLimits.maxIdBytes);
  const slots = m.slots.slice(0, UsbLimits.maxSlots);
  w.u8(slots.length);
  for (const s of slots) text(text(w, s.name, UsbLimits.maxIdBytes), s.device, UsbLimits.maxTextBytes);
  return w.finish();
}

/** Null when the kind is not this file's; a BridgeError for a malformed message. */
export function decodeUsbHostMessage(bytes: Uint8Array): UsbHostMessage | null {
  if (bytes[0] === HostKind.USB_RESULT) {
    const r = new FieldReader(bytes, 'host', 'USB_RESULT');
    const id = r.string('device id', UsbLimits.maxIdBytes);
    const ok = r.range(r.u8('ok'), 'ok', 0, 1) === 1;
    const message = r.string('message', UsbLimits.maxTextBytes);
    r.end();
    return { kind: 'usb-result', id, ok, message };
  }
  if (bytes[0] === HostKind.USB_PROGRESS) {
    const r = new FieldReader(bytes, 'host', 'USB_PROGRESS');
    const id = r.string('device id', UsbLimits.maxIdBytes);
    const step = USB_ATTACH_STEPS[r.range(r.u8('step'), 'step', 0, USB_ATTACH_STEPS.length - 1)];
    r.end();
    return { kind: 'usb-progress', id, step };
  }
  if (bytes[0] !== HostKind.USB_STATE) return null;
  const r = new FieldReader(bytes, 'host', 'USB_STATE');
  const notice = r.string('notice', UsbLimits.maxTextBytes);
  const deviceCount = r.range(r.u8('device count'), 'device count', 0, UsbLimits.maxDevices);
  const devices: UsbPanelDevice[] = [];
  for (let i = 0; i < deviceCount; i++) {
    devices.push({ id: r.string('device id', UsbLimits.maxIdBytes), label: r.string('device label', UsbLimits.maxTextBytes), slot: r.string('device slot', UsbLimits.maxIdBytes) });
  }
  const slotCount = r.range(r.u8('slot count'), 'slot count', 0, UsbLimits.maxSlots);
  const slots: UsbStateMessage['slots'] = [];
  for (let i = 0; i < slotCount; i++) slots.push({ name: r.string('slot name', UsbLimits.maxIdBytes), device: r.string('slot device', UsbLimits.maxTextBytes) });
  r.end();
  return { kind: 'usb-state', notice, devices, slots };
}

export function encodeUsbUiMessage(m: UsbUiMessage): Uint8Array {
  if (m.kind === 'usb-focus') return Uint8Array.of(UiKind.USB_FOCUS, m.focused ? 1 : 0);
  const w = new WireWriter(32).u8(m.kind === 'usb-attach' ? UiKind.USB_ATTACH : UiKind.USB_DETACH);
  return text(w, m.id, UsbLimits.maxIdBytes).finish();
}

/** USB_ATTACH / USB_DETACH's field, USB_FOCUS's flag; the shared UI decoder checks that nothing follows. */
export function decodeUsbUiMessage(kind: number, r: FieldReader): UsbUiMessage | null {
  if (kind === UiKind.USB_FOCUS) return { kind: 'usb-focus', focused: r.range(r.u8('focused'), 'focused', 0, 1) === 1 };
  if (kind !== UiKind.USB_ATTACH && kind !== UiKind.USB_DETACH) return null;
  const id = r.string('device id', UsbLimits.maxIdBytes);
  if (id === '') r.fail('the device id is empty');
  return { kind: kind === UiKind.USB_ATTACH ? 'usb-attach' : 'usb-detach', id };
}
