// Main channel message numbers and bodies (spice.proto `channel MainChannel`).
import { WireWriter } from '../../wire/writer.ts';

export const MainMsg = {
  MIGRATE_BEGIN: 101,
  MIGRATE_CANCEL: 102,
  INIT: 103,
  CHANNELS_LIST: 104,
  MOUSE_MODE: 105,
  MULTI_MEDIA_TIME: 106,
  AGENT_CONNECTED: 107,
  AGENT_DISCONNECTED: 108,
  AGENT_DATA: 109,
  AGENT_TOKEN: 110,
  MIGRATE_SWITCH_HOST: 111,
  MIGRATE_END: 112,
  NAME: 113,
  UUID: 114,
  AGENT_CONNECTED_TOKENS: 115,
  MIGRATE_BEGIN_SEAMLESS: 116,
  MIGRATE_DST_SEAMLESS_ACK: 117,
  MIGRATE_DST_SEAMLESS_NACK: 118,
} as const;

export const MainMsgc = {
  CLIENT_INFO: 101,
  MIGRATE_CONNECTED: 102,
  MIGRATE_CONNECT_ERROR: 103,
  ATTACH_CHANNELS: 104,
  MOUSE_MODE_REQUEST: 105,
  AGENT_START: 106,
  AGENT_DATA: 107,
  AGENT_TOKEN: 108,
  MIGRATE_END: 109,
  MIGRATE_DST_DO_SEAMLESS: 110,
  MIGRATE_CONNECTED_SEAMLESS: 111,
  QUALITY_INDICATOR: 112,
} as const;

export const MainCap = {
  SEMI_SEAMLESS_MIGRATE: 0,
  NAME_AND_UUID: 1,
  AGENT_CONNECTED_TOKENS: 2,
  SEAMLESS_MIGRATE: 3,
} as const;

export const MouseMode = { SERVER: 1, CLIENT: 2 } as const;
export type MouseModeValue = (typeof MouseMode)[keyof typeof MouseMode];

export function mouseModeNames(mask: number): string[] {
  const out: string[] = [];
  if (mask & MouseMode.SERVER) out.push('server');
  if (mask & MouseMode.CLIENT) out.push('client');
  return out;
}

/** Credit the client grants the server for agent data: unlimited, as spice-gtk does. */
export const AGENT_START_UNLIMITED = 0xffffffff;

export const buildAgentStart = (tokens: number): Uint8Array => new WireWriter(4).u32(tokens).finish();
export const buildMouseModeRequest = (mode: number): Uint8Array => new WireWriter(2).u16(mode).finish();
