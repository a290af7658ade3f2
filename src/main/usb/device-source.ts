// Where redirectable USB devices come from: one small interface, so that the usbredir usb-host
// (usbredir-host.ts) does not care whether a device is a real one (the `usb` package,
// usb-device-source.ts), a client-made device (the shared CD/ISO, iso-cdrom.ts; an OS-held HID
// device through node-hid, hid-device-source.ts) or the tests' simulated devices
// (test/peers/usb-simulated.ts, never offered to users). WebUSB-shaped, like `usb` 3.x: no raw
// descriptor reads beyond control transfers, no isochronous transfers.
import type { Emitter } from '../../protocol/emitter.ts';

export type UsbSpeed = 'low' | 'full' | 'high' | 'super';

export interface UsbEndpointDescription {
  /** bEndpointAddress: number in bits 0-3, bit 7 set for IN. */
  address: number;
  type: 'iso' | 'bulk' | 'interrupt';
  maxPacketSize: number;
  /** bInterval as in the descriptor. */
  interval: number;
}

export interface UsbInterfaceDescription {
  number: number;
  /** The alternate setting currently selected. */
  alternate: number;
  class: number;
  subclass: number;
  protocol: number;
  endpoints: UsbEndpointDescription[];
}

export interface UsbDeviceDescription {
  /** Unique within its source: what `open` takes (e.g. `sim:keyboard`, a bus-port path). */
  id: string;
  vendorId: number;
  productId: number;
  deviceClass: number;
  deviceSubclass: number;
  deviceProtocol: number;
  deviceVersionBcd: number;
  speed: UsbSpeed;
  /** bMaxPacketSize0 of the default control endpoint. */
  maxPacketSize0: number;
  manufacturer?: string;
  product?: string;
  serial?: string;
  /** The active configuration's interface classes where known without opening (filters need them). */
  interfaces?: readonly { class: number; subclass: number; protocol: number }[];
}

/** A control transfer's setup packet, minus wLength (the data or the length asked says it). */
export interface UsbSetup {
  requestType: number;
  request: number;
  value: number;
  index: number;
}

export type UsbTransferStatus = 'ok' | 'stall' | 'babble' | 'timeout' | 'cancelled' | 'error';

export interface UsbTransferResult {
  status: UsbTransferStatus;
  /** IN: the bytes received. */
  data?: Uint8Array;
  /** OUT: how many bytes went out. */
  written?: number;
}

export interface UsbActiveConfiguration {
  /** bConfigurationValue; 0 while unconfigured (then no interfaces). */
  value: number;
  interfaces: UsbInterfaceDescription[];
}

/** An opened device, owned by one redirection until `close`. */
export interface UsbDeviceHandle {
  readonly description: UsbDeviceDescription;
  configuration(): UsbActiveConfiguration;
  selectConfiguration(value: number): Promise<UsbTransferStatus>;
  selectAlternate(interfaceNumber: number, alternate: number): Promise<UsbTransferStatus>;
  controlIn(setup: UsbSetup, length: number): Promise<UsbTransferResult>;
  controlOut(setup: UsbSetup, data: Uint8Array): Promise<UsbTransferResult>;
  /** A bulk or interrupt IN transfer; `signal` ends a wait (result 'cancelled') where the source can. */
  transferIn(endpoint: number, length: number, signal?: AbortSignal): Promise<UsbTransferResult>;
  transferOut(endpoint: number, data: Uint8Array): Promise<UsbTransferResult>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export type UsbSourceEvents = {
  added: UsbDeviceDescription;
  removed: UsbDeviceDescription;
  /** Once per source: why it has no devices here (no USB subsystem, a native module that does not load). */
  unavailable: string;
};

export interface UsbDeviceSource {
  /** For messages: "simulated devices", "USB devices of this machine". */
  readonly name: string;
  /** Hotplug: devices plugged and unplugged after `list`. */
  readonly events: Emitter<UsbSourceEvents>;
  /** Set once the source found it cannot work here: the sentence `unavailable` carried. */
  readonly unavailableReason?: string | null;
  list(): Promise<UsbDeviceDescription[]>;
  /** Opens and claims the device; `claiming` is called once it is open and its interfaces are being claimed (sources that claim nothing do not call it). */
  open(id: string, claiming?: () => void): Promise<UsbDeviceHandle>;
}
