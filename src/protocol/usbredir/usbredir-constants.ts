// usbredir protocol numbers (usbredir usbredirparser/usbredirproto.h, protocol 0.7 as shipped by
// usbredir 0.13; docs/usb-redirection-protocol.md). The usb-host owns the device (spicedesk, as
// spice-gtk's usbredirhost); the usb-guest is QEMU's usb-redir device.

export const USBREDIR_VERSION = 0x000701;
/** The hello's version field is a fixed 64-byte, NUL-terminated string. */
export const HELLO_VERSION_BYTES = 64;

export const UsbredirType = {
  hello: 0,
  device_connect: 1,
  device_disconnect: 2,
  reset: 3,
  interface_info: 4,
  ep_info: 5,
  set_configuration: 6,
  get_configuration: 7,
  configuration_status: 8,
  set_alt_setting: 9,
  get_alt_setting: 10,
  alt_setting_status: 11,
  start_iso_stream: 12,
  stop_iso_stream: 13,
  iso_stream_status: 14,
  start_interrupt_receiving: 15,
  stop_interrupt_receiving: 16,
  interrupt_receiving_status: 17,
  alloc_bulk_streams: 18,
  free_bulk_streams: 19,
  bulk_streams_status: 20,
  cancel_data_packet: 21,
  filter_reject: 22,
  filter_filter: 23,
  device_disconnect_ack: 24,
  start_bulk_receiving: 25,
  stop_bulk_receiving: 26,
  bulk_receiving_status: 27,
  control_packet: 100,
  bulk_packet: 101,
  iso_packet: 102,
  interrupt_packet: 103,
  buffered_bulk_packet: 104,
} as const;
export type UsbredirTypeName = keyof typeof UsbredirType;

const typeNames = new Map<number, UsbredirTypeName>(
  (Object.entries(UsbredirType) as [UsbredirTypeName, number][]).map(([name, n]) => [n, name]),
);

/** The packet's name for messages, or `packet type N` for a number usbredir does not define. */
export function usbredirTypeName(type: number): string {
  return typeNames.get(type) ?? `packet type ${type}`;
}

export function isUsbredirType(type: number): boolean {
  return typeNames.has(type);
}

/** Capability bits of the hello's first u32 (USB_REDIR_CAPS_SIZE is 1 word). */
export const UsbredirCap = {
  bulk_streams: 0,
  connect_device_version: 1,
  filter: 2,
  device_disconnect_ack: 3,
  ep_info_max_packet_size: 4,
  '64bits_ids': 5,
  '32bits_bulk_length': 6,
  bulk_receiving: 7,
} as const;

export const UsbredirStatus = {
  success: 0,
  cancelled: 1,
  inval: 2,
  ioerror: 3,
  stall: 4,
  timeout: 5,
  babble: 6,
} as const;

export const UsbredirSpeed = { low: 0, full: 1, high: 2, super: 3, unknown: 255 } as const;

/** Endpoint types; the first four are the USB spec's bmAttributes transfer types. */
export const UsbredirEndpointType = { control: 0, iso: 1, bulk: 2, interrupt: 3, invalid: 255 } as const;

/** Largest bulk transfer usbredirparser accepts (MAX_BULK_TRANSFER_SIZE, 128 MiB). */
export const USBREDIR_MAX_BULK_TRANSFER = 128 * 1024 * 1024;

/** ep_info arrays: index 0-15 are OUT endpoints 0-15, 16-31 the IN endpoints (EP2I). */
export function endpointIndex(endpoint: number): number {
  return ((endpoint & 0x80) >> 3) | (endpoint & 0x0f);
}

export function endpointAddress(index: number): number {
  return ((index & 0x10) << 3) | (index & 0x0f);
}
