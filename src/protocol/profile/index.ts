// Connection profiles: a spice:// URI or a remote-viewer .vv file, turned into one validated
// ConnectionProfile. Every failure is a SpiceError of kind 'usage' that names the bad part and
// never quotes a password.
export {
  emptyProfile,
  GUEST_EFFECTS,
  HOTKEY_ACTIONS,
  SPICE_CHANNEL_NAMES,
  type ConnectionProfile,
  type GuestEffect,
  type HotkeyAction,
  type SpiceChannelName,
} from './types.ts';
export { looksLikeUri, parseSpiceUri, URI_PASSWORD_WARNING } from './uri.ts';
export { asksToBeDeleted, MAX_VV_BYTES, parseVvBytes, parseVvFile } from './vv.ts';
export { parseProxyUrl, type ProxyUrl } from './values.ts';
