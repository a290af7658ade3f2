// The page's test hooks, typed once: src/renderer/main.ts puts `window.spicedeskPage` on the page
// (SessionPage.testHooks() in src/renderer/page.ts: read-only views of its state, the canvas read
// back, the WebGL context loss, head URLs and draw statistics). The shapes below follow what the
// page and its parts return from their state() methods (status line, display view, the session
// parts, kiosk page, heads view); a field the page stops giving shows up as a failing e2e test,
// not as a silent undefined in many casts.
import type { UsbPanelRow } from '../../src/renderer/usb-panel.ts';
import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/wait.ts';
import type { GuestHead } from '../../src/protocol/monitors/head-layout.ts';
import type { PlaybackStats } from '../../src/renderer/audio/page-playback.ts';
import type { OutputStallStats } from '../../src/renderer/audio/output-stalls.ts';
import type { PlayoutStats } from '../../src/renderer/audio/playout.ts';

export interface ClipboardSharing {
  toGuest: boolean;
  fromGuest: boolean;
}

/** One row of the page's file-transfer list. */
export interface TransferRowState {
  id: number;
  name: string;
  size: number;
  sent: number;
  state: string;
  message: string;
}

export interface PageState {
  // Status line, display, pointer and keyboard (main.ts).
  status: string;
  statusText: string;
  presenter: 'webgl2' | '2d' | 'starting';
  /** Where the bridge's transport runs: the decode worker (the default) or the page's thread (#bridge=page). */
  bridgeIn: 'worker' | 'page';
  /** Where keys and pointer messages go now (the page's input socket or the bridge), and how many went through the socket. */
  input: { via: 'socket' | 'bridge'; socketSent: number };
  presentsIn: 'worker' | 'page';
  mouseMode: 'client' | 'server';
  surface: { width: number; height: number; channelId: number };
  cursorCss: string;
  cursorShapes: number;
  keysHeld: number;
  // The display view's statistics.
  frames: number;
  presentedPixels: number;
  damageMessages: number;
  marks: number;
  messageErrors: number;
  lastError: string;
  // The video streams: the codecs the HELLO announced, the playing stream (status line), totals.
  video: {
    codecs: { codec: number; acceleration: 'hardware' | 'software' }[];
    /** The playing stream (null: none): codec (VideoCodec value), pictures in the last second, how it decodes. */
    status: { codec: number; acceleration: 'hardware' | 'software'; fps: number } | null;
    /** What the status line shows of it ('' when no stream plays), e.g. "VP9 25 fps (software decoding)". */
    statusText: string;
    framesPresented: number;
    /** Pictures written into the surface because a draw needed their area, or their stream ended. */
    materialised: number;
    /** The worker's measured delay from handing an overlaid picture over to its first animation frame (ms); pictures are shown that much early. */
    presentationDelayMs: number;
    streamErrors: number;
    lastStreamError: string;
  };
  // The session parts: password dialog, agent and resize, clipboard, files.
  passwordDialogs: number;
  passwordDialogOpen: boolean;
  agent: { connected: boolean; monitorsConfig: boolean; clipboard: boolean };
  resizeToFit: boolean;
  displayArea: { width: number; height: number } | null;
  clipboard: {
    received: number;
    sent: number;
    writeErrors: number;
    lastWriteError: string;
    imagesReceived: number;
    imagesSent: number;
    imagesFromHost: number;
    focusReads: number;
    sharing: ClipboardSharing;
    policy: ClipboardSharing;
  };
  files: { offered: number; saved: number; failed: number; bytesSent: number; allowed: boolean; rows: TransferRowState[] };
  // The kiosk page: policy, hotkeys, zoom and the reconnect screen.
  kiosk: boolean;
  onSessionEnd: string;
  hotkeys: { action: string; text: string }[];
  hotkeysRun: string[];
  zoom: number;
  reconnectScreen: { title: string; reason: string; button: string | null } | null;
  reconnects: number;
  notice: string;
  // The heads view: this window's head, the guest's heads and the monitor mapping.
  head: number;
  heads: GuestHead[];
  maxHeads: number;
  headsEnabled: number;
  headsJoined: number;
  headRect: GuestHead | null;
  hasHeadToken: boolean;
  headMapping: number[] | null;
  headMappingApplied: 'none' | 'placed' | 'not-applied';
  headMappingNote: string | null;
  // The sound (audio-part.ts).
  audio: AudioState;
  // The VM menu (vm-menu.ts): shown where QEMU's monitor port is there and the policy allows it.
  vm: {
    shown: boolean;
    status: string | null;
    running: boolean | null;
    /** The actions whose buttons are enabled now. */
    enabled: string[];
    /** The action whose confirmation dialog is open. */
    confirming: string | null;
    /** VM_ACTIONs sent. */
    sent: number;
    lastResult: { action: string; ok: boolean; message: string } | null;
  };
  // The serial console (serial-console.ts): offered, open on QEMU's side, its panel shown, bytes
  // received and sent, and the terminal's lines (trailing blank ones dropped).
  serial: { available: boolean; open: boolean; shown: boolean; received: number; sent: number; text: string };
  // The printer chooser (printer-chooser.ts): where the next print job goes, as the host listed it.
  printers: { shown: boolean; choices: { id: string; label: string }[]; chosen: string; note: string; sent: number };
  // The folder chooser (folder-chooser.ts): offered, what is shared, the folder browsed and its subfolders.
  folders: { offered: boolean; root: string; shared: string; readOnly: boolean; note: string; path: string; listed: string[]; listNote: string; sent: number };
  // The USB devices panel (usb-panel.ts): null until the host sent USB_STATE.
  usb: { devices: UsbPanelRow[]; slots: string; notice: string; lastResult: string; focusSent: boolean | null } | null;
}

/** The page's sound: the gesture gate, the playback channel, the playout buffer, the microphone. */
export interface AudioState {
  gate: 'off' | 'starting' | 'waiting' | 'on' | 'failed';
  /** The context is suspended because nothing has played for a while (the gate stays on). */
  sleeping: boolean;
  idleSuspensions: number;
  /** The bar's notice ('' when none): that sound waits for a click or key, or why it does not work. */
  notice: string;
  playback: PlaybackStats;
  playout: PlayoutStats | null;
  /** Wall-clock time the audio output lost while sound played (its render thread not run; never caught up). */
  outputStalls: OutputStallStats | null;
  /** The DATA.time being rendered at the last report (unwrapped ms), null while nothing plays. */
  position: number | null;
  localVolume: number;
  localMuted: boolean;
  microphone: { state: 'off' | 'asking' | 'open' | 'refused'; mode: 'raw' | 'opus' | null; why: string; processing: boolean; guest: { volume: number[] | null; muted: boolean }; frames: number; opusPackets: number; rawPackets: number; dropped: number };
  /** AUDIO_CLOCKs and RECORD_DATA packets sent to the host. */
  sent: { clocks: number; recordPackets: number };
  /** Times the page's video clock was set from what is audible, and the last such time (ms). */
  videoClock: { sets: number; lastMm: number | null };
}

/** What `spicedeskPage.drawStats()` gives: the shown channel's operations and images by type. */
export interface DrawStats {
  /** Draw operations by kind, and the video streams' 'stream-frame', 'stream-late', 'stream-overflow'. */
  ops: Record<string, number>;
  images: Record<string, number>;
  wasm: boolean;
}

/** What `spicedeskPage.audioTapTake()` gives. */
export interface AudioTapTaken {
  rate: number;
  samplesBase64: string;
  /** The context time (s) the first sample was rendered at; null when nothing was tapped. */
  contextTime: number | null;
  /** The context's getOutputTimestamp() when taken: `contextTime` (s) is heard at `performanceTime` (ms). */
  outputTimestamp: { contextTime: number; performanceTime: number } | null;
  timeOrigin: number;
  /** The context's outputLatency and baseLatency (s). */
  outputLatency: number;
  baseLatency: number;
}

/** `window.spicedeskPage` as src/renderer/page.ts defines it. */
export interface PageTestApi {
  state(): PageState;
  /** The canvas as RGBA bytes, base64, top row first; null before anything is drawn. */
  readPixels(): Promise<{ width: number; height: number; rgbaBase64: string } | null>;
  /** Loses the WebGL context and restores it after `ms` (false without WebGL). */
  loseContext(ms: number): Promise<boolean>;
  /** The URL of guest head N's window (N 1-3), once the host gave the join token. */
  headUrl(head: number): string | null;
  drawStats(): Promise<DrawStats | null>;
  /** The video pictures that reached the screen since the last call: mm time, and when (ms since the epoch). */
  presentationLog(): Promise<{ mm: number; at: number; handed: number }[]>;
  /** When the sound's positions (DATA.time, unwrapped ms) reached the audio output since the last call (ms since the epoch). */
  heardLog(): { mm: number; at: number; reportAt: number; audible: number; display: number }[];
  /** Starts (true) or stops copying the audio worklet's output (after the gain) for audioTapTake. */
  audioTap(on: boolean): void;
  /** The output copied since the tap started or was last taken: interleaved stereo Float32, base64, at `rate`. */
  audioTapTake(): Promise<AudioTapTaken>;
}

declare global {
  interface Window {
    /** Set by the page's script once it runs; absent while the page loads. */
    spicedeskPage?: PageTestApi;
  }
}

/**
 * Polls the page's state until its `part` satisfies `wanted` (`what` names that in the timeout's
 * message, which also shows the part as last seen), and returns that part.
 */
export async function pagePartShows<K extends keyof PageState>(page: Page, part: K, what: string, wanted: (value: PageState[K]) => boolean, timeoutMs = 30_000): Promise<PageState[K]> {
  let last: PageState[K] | undefined;
  return waitFor(what, async () => {
    last = (await pageState(page))[part];
    return wanted(last) ? last : undefined;
  }, timeoutMs, { pollMs: 100, explain: () => JSON.stringify(last) });
}

/** The page's state now (throws if the page's script has not run). */
export function pageState(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    if (!window.spicedeskPage) throw new Error('the page has no spicedeskPage (its script has not run)');
    return window.spicedeskPage.state();
  });
}

/** Waits, inside the page, until its status is `status`. */
export async function waitForPageStatus(page: Page, status: string, timeoutMs: number): Promise<void> {
  await page.waitForFunction((want) => window.spicedeskPage?.state().status === want, status, { timeout: timeoutMs, polling: 50 });
}

/** The canvas read back, or null when nothing is drawn yet. */
export function readPagePixels(page: Page): Promise<{ width: number; height: number; rgbaBase64: string } | null> {
  return page.evaluate(() => window.spicedeskPage?.readPixels() ?? null);
}

export function loseContext(page: Page, ms: number): Promise<boolean> {
  return page.evaluate((forMs) => window.spicedeskPage?.loseContext(forMs) ?? false, ms);
}

export function headUrl(page: Page, head: number): Promise<string | null> {
  return page.evaluate((n) => window.spicedeskPage?.headUrl(n) ?? null, head);
}

export function drawStats(page: Page): Promise<DrawStats | null> {
  return page.evaluate(() => window.spicedeskPage?.drawStats() ?? null);
}

/**
 * The page's audio output copied since the tap started (audioTap(true)), as interleaved stereo,
 * with `heardAtMs(frame)`: the wall time (ms since the epoch) at which that frame of the tap is
 * heard, from the context's output timestamp (outputLatency included); null when it cannot say.
 */
export async function takeAudioTap(page: Page): Promise<{ rate: number; samples: Float32Array; heardAtMs: ((frame: number) => number) | null; taken: Omit<AudioTapTaken, 'samplesBase64'> }> {
  const { samplesBase64, ...taken } = await page.evaluate(() => window.spicedeskPage!.audioTapTake());
  const bytes = Buffer.from(samplesBase64, 'base64');
  const heardAtMs = tapHeardAtMs(taken);
  return { rate: taken.rate, samples: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), heardAtMs, taken };
}

/**
 * Maps a frame of a tap taken as AudioTapTaken to the wall time (ms since the epoch) it is heard
 * at: the context's output timestamp says which context time is at the output at which
 * performance time (so the output latency is in it). null when the tap or the timestamp is empty.
 */
export function tapHeardAtMs(taken: Omit<AudioTapTaken, 'samplesBase64'>): ((frame: number) => number) | null {
  const first = taken.contextTime;
  const stamp = taken.outputTimestamp;
  if (first === null || stamp === null || taken.rate <= 0) return null;
  return (frame: number): number => taken.timeOrigin + stamp.performanceTime + (first + frame / taken.rate - stamp.contextTime) * 1000;
}
