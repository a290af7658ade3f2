// One validated description of where and how to connect, whichever way the user gave it
// (a spice:// URI or a remote-viewer .vv file). Sessions and UIs read only this shape.

/** Channel names as spice-gtk spells them (its channel type <-> string table). */
export const SPICE_CHANNEL_NAMES = [
  'main',
  'display',
  'inputs',
  'cursor',
  'playback',
  'record',
  'tunnel',
  'smartcard',
  'usbredir',
  'port',
  'webdav',
] as const;
export type SpiceChannelName = (typeof SPICE_CHANNEL_NAMES)[number];

/** The per-action hotkey keys of a .vv file (one key per action, values in spice hotkey form). */
export const HOTKEY_ACTIONS = [
  'toggle-fullscreen',
  'release-cursor',
  'zoom-in',
  'zoom-out',
  'zoom-reset',
  'secure-attention',
  'usb-device-reset',
  'smartcard-insert',
  'smartcard-remove',
] as const;
export type HotkeyAction = (typeof HOTKEY_ACTIONS)[number];

/** Guest effects the agent can turn off; `all` in a file expands to every one of these. */
export const GUEST_EFFECTS = ['wallpaper', 'font-smooth', 'animation'] as const;
export type GuestEffect = (typeof GUEST_EFFECTS)[number];

export interface ConnectionProfile {
  source: 'uri' | 'vv';
  /** IPv6 literals are kept without brackets. */
  host?: string;
  /** Port for plain (unencrypted) channels. */
  port?: number;
  tlsPort?: number;
  unixPath?: string;
  /** ws:// or wss:// URL (host normalised, port explicit): every channel is a WebSocket to it. May hold a gateway ticket in its query: do not log it. */
  webSocketUrl?: string;
  /** spice+tls:// : every channel goes over TLS. */
  tlsOnly: boolean;
  username?: string;
  /** Never put this into an error, a warning or a log line. */
  password?: string;
  /** HTTP CONNECT proxy URL, validated (see parseProxyUrl). May carry credentials: do not log it. */
  proxy?: string;
  /** PEM text, the .vv `\n` escapes already turned into newlines. */
  ca?: string;
  hostSubject?: string;
  tlsCiphers?: string;
  /** Channel names, or ['all']. */
  secureChannels: string[];
  disableChannels: string[];
  /** May contain `%d`, which remote-viewer replaces with the monitor number. */
  title?: string;
  fullscreen?: boolean;
  deleteThisFile?: boolean;
  /** An empty string means the file turned that hotkey off. */
  hotkeys: Partial<Record<HotkeyAction, string>>;
  enableUsbredir?: boolean;
  enableUsbAutoshare?: boolean;
  enableSmartcard?: boolean;
  /** usbredir filter rules `class,vendor,product,version,allow` joined with `|` (validated). */
  usbFilter?: string;
  usbRedirectOnConnect?: string;
  colorDepth?: 16 | 32;
  disableEffects: GuestEffect[];
  /** video-codecs: the video codecs to ask the server for, most wanted first (VideoCodec values). */
  videoCodecs?: number[];
  /** Minimum remote-viewer version the file asks for; kept, not enforced. */
  version?: string;
  /** Minimum version per OS id (`versions=osid:ver;...`). */
  versions?: Record<string, string>;
  newerVersionUrl?: string;
  /** The [ovirt] group, unescaped but otherwise kept as-is (holds tokens: do not log it). */
  ovirt: Record<string, string>;
  /** `x-` keys of [virt-viewer], unescaped. */
  extras: Record<string, string>;
  /** Things the user should know that did not stop parsing. Never contain secrets. */
  warnings: string[];
}

export function emptyProfile(source: ConnectionProfile['source']): ConnectionProfile {
  return {
    source,
    tlsOnly: false,
    secureChannels: [],
    disableChannels: [],
    hotkeys: {},
    disableEffects: [],
    // No prototype: keys come from the file, and one named __proto__ must stay a plain key.
    ovirt: Object.create(null),
    extras: Object.create(null),
    warnings: [],
  };
}
