// How to run Xspice (Debian's xserver-xspice): Xorg with the spiceqxl driver, configured by a
// config file and XSPICE_* environment variables. Shared by `spicedesk demo` and the test peers.
//
// Xorg is started directly rather than through the /usr/bin/Xspice Python launcher: the launcher
// only turns its options into these variables, but it sleeps two seconds, crashes with --auto on
// Debian 12 and cannot combine --config with --vdagent (docs/testing.md, "Xspice").

export const XORG_BINARY = '/usr/lib/xorg/Xorg';
export const SPICEQXL_DRIVER = '/usr/lib/xorg/modules/drivers/spiceqxl_drv.so';

export type XspiceImageCompression = 'off' | 'auto_glz' | 'auto_lz' | 'quic' | 'glz' | 'lz';
export type XspiceWanCompression = 'auto' | 'never' | 'always';

export interface XspiceSettings {
  /** Ticket password; without one, ticketing is disabled (any ticket is accepted). */
  password?: string;
  imageCompression?: XspiceImageCompression;
  jpegWan?: XspiceWanCompression;
  zlibGlzWan?: XspiceWanCompression;
  streamingVideo?: 'off' | 'all' | 'filter';
  /** E.g. 'spice:mjpeg;gstreamer:vp8'. */
  videoCodecs?: string;
  /** Render into the frame buffer and send changed rectangles at this rate. */
  deferredFps?: number;
  numHeads?: 1 | 2;
  /** A TLS port next to the plain one (or instead of it), with PEM files for the server. */
  tls?: XspiceTls;
}

export interface XspiceTls {
  port: number;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** OpenSSL cipher list the server allows. */
  ciphers?: string;
  /** Listen on the TLS port only, so that every channel must come over TLS. */
  withoutPlainPort?: boolean;
}

export function xorgConfig(): string {
  // Sizes in MiB. Without SurfaceBufferSize and CommandBufferSize the driver crashes at start;
  // a 32 MiB frame buffer is enough for four 1920x1080 heads.
  return `Section "Device"
    Identifier "XSPICE"
    Driver "spiceqxl"
    Option "FrameBufferSize" "32"
    Option "SurfaceBufferSize" "128"
    Option "CommandBufferSize" "128"
EndSection
Section "InputDevice"
    Identifier "XSPICE POINTER"
    Driver "xspice pointer"
EndSection
Section "InputDevice"
    Identifier "XSPICE KEYBOARD"
    Driver "xspice keyboard"
EndSection
Section "Monitor"
    Identifier "Configured Monitor"
EndSection
Section "Screen"
    Identifier "XSPICE Screen"
    Monitor "Configured Monitor"
    Device "XSPICE"
    DefaultDepth 24
EndSection
Section "ServerLayout"
    Identifier "XSPICE Layout"
    Screen "XSPICE Screen"
    InputDevice "XSPICE KEYBOARD"
    InputDevice "XSPICE POINTER"
EndSection
Section "ServerFlags"
    Option "AutoAddDevices" "False"
EndSection
`;
}

/** The environment the Xspice launcher would give Xorg for these options. */
export function driverEnvironment(port: number, options: XspiceSettings): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Settings inherited from a developer's shell must not leak into the server under test.
    if (!key.startsWith('XSPICE_') && key !== 'QXL_NUM_HEADS') env[key] = value;
  }
  env.XSPICE_PORT = String(port);
  if (options.password !== undefined) env.XSPICE_PASSWORD = options.password;
  else env.XSPICE_DISABLE_TICKETING = '1';
  if (options.imageCompression) env.XSPICE_IMAGE_COMPRESSION = options.imageCompression;
  if (options.jpegWan) env.XSPICE_JPEG_WAN_COMPRESSION = options.jpegWan;
  if (options.zlibGlzWan) env.XSPICE_ZLIB_GLZ_WAN_COMPRESSION = options.zlibGlzWan;
  if (options.streamingVideo) env.XSPICE_STREAMING_VIDEO = options.streamingVideo;
  if (options.videoCodecs) env.XSPICE_VIDEO_CODECS = options.videoCodecs;
  if (options.deferredFps !== undefined) env.XSPICE_DEFERRED_FPS = String(options.deferredFps);
  if (options.tls) {
    env.XSPICE_TLS_PORT = String(options.tls.port);
    env.XSPICE_CACERT_FILE = options.tls.caFile;
    env.XSPICE_X509_CERT_FILE = options.tls.certFile;
    env.XSPICE_X509_KEY_FILE = options.tls.keyFile;
    if (options.tls.ciphers) env.XSPICE_TLS_CIPHERS = options.tls.ciphers;
    if (options.tls.withoutPlainPort) env.XSPICE_PORT = '0';
  }
  env.QXL_NUM_HEADS = String(options.numHeads ?? 1);
  return env;
}
