// Bounds on bridge message fields, shared by the codecs of every feature and by the hosts.

/** Bounds on what a UI may send; generous for any real screen, small enough to be harmless. */
export const Limits = {
  /** Absolute coordinates (client mouse mode). */
  maxCoordinate: 0x7fff,
  /** Relative motion per message (server mouse mode). */
  maxMotion: 0x7fff,
  /** Bytes of one string field (server name, error message). */
  maxStringBytes: 4096,
  /** SPICE's ticket holds at most 60 bytes of password (spice-protocol's SPICE_MAX_PASSWORD_LENGTH). */
  maxPasswordBytes: 60,
  /** Clipboard text in either direction; larger text is not shared (spice-gtk's limit is larger, but a page's clipboard is for text a person copies). */
  maxClipboardTextBytes: 1024 * 1024,
  /** A guest display side in device pixels (the QXL device's largest mode side). */
  maxDisplaySide: 16384,
  /** The largest UI message (clipboard text); the gateway refuses bigger WebSocket messages before parsing. */
  maxUiMessageBytes: 1 + 1024 * 1024,
  maxTargets: 0xffff,
  /** Video codecs a page may list in its HELLO: SPICE has five; a few more entries are a page gone wrong. */
  maxVideoCodecs: 8,
  /** Bytes of a STREAM_ERROR's message (the decoder's sentence, for the host's log). */
  maxStreamErrorBytes: 1024,
} as const;
