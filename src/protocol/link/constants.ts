// Link-stage constants from spice-protocol (spice/protocol.h, spice/enums.h).

export const LINK_MAGIC = 0x51444552; // "REDQ" read as a little-endian u32
export const PROTOCOL_MAJOR = 2;
export const PROTOCOL_MINOR = 2;
export const LINK_HEADER_SIZE = 16;
export const LINK_MESS_SIZE = 18;
export const LINK_REPLY_SIZE = 178;
export const TICKET_PUBKEY_BYTES = 162;
export const ENCRYPTED_TICKET_BYTES = 128;
export const MAX_PASSWORD_LENGTH = 60;
/** The server never sends more than this in a link reply; anything bigger is hostile. */
export const MAX_LINK_REPLY_SIZE = 4096;

export const ChannelType = {
  MAIN: 1,
  DISPLAY: 2,
  INPUTS: 3,
  CURSOR: 4,
  PLAYBACK: 5,
  RECORD: 6,
  TUNNEL: 7,
  SMARTCARD: 8,
  USBREDIR: 9,
  PORT: 10,
  WEBDAV: 11,
} as const;

const channelNames: Record<number, string> = {
  1: 'main',
  2: 'display',
  3: 'inputs',
  4: 'cursor',
  5: 'playback',
  6: 'record',
  7: 'tunnel',
  8: 'smartcard',
  9: 'usbredir',
  10: 'port',
  11: 'webdav',
};

export function channelTypeName(type: number): string {
  return channelNames[type] ?? `unknown-${type}`;
}

export function channelTypeFromName(name: string): number | undefined {
  for (const [k, v] of Object.entries(channelNames)) if (v === name) return Number(k);
  return undefined;
}

export const CommonCap = {
  PROTOCOL_AUTH_SELECTION: 0,
  AUTH_SPICE: 1,
  AUTH_SASL: 2,
  MINI_HEADER: 3,
} as const;

export const LinkErr = {
  OK: 0,
  ERROR: 1,
  INVALID_MAGIC: 2,
  INVALID_DATA: 3,
  VERSION_MISMATCH: 4,
  NEED_SECURED: 5,
  NEED_UNSECURED: 6,
  PERMISSION_DENIED: 7,
  BAD_CONNECTION_ID: 8,
  CHANNEL_NOT_AVAILABLE: 9,
} as const;
