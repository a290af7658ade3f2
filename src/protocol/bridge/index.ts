// The bridge between a session host and a UI: message types and both codecs.
export * from './bridge-messages.ts';
export { BridgeError } from './bridge-fields.ts';
export * from './kinds.ts';
export { Limits } from './limits.ts';
export { BODY_HEADER_BYTES, decodeHostMessage, decodeHostPacket, encodeHostMessage, encodeHostPacket, splitHostPacket } from './host-codec.ts';
export { decodeUiMessage, encodeUiMessage } from './ui-codec.ts';
