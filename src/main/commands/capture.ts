// `spicedesk capture`: connect, wait for the first complete frame of one display (after MARK,
// once no drawing has arrived for a short settle time), write its primary surface as PNG.
import { ChannelType } from '../../protocol/link/constants.ts';
import { silentLogger, type Logger } from '../../protocol/logger.ts';
import type { DisplayChannel, DisplayOptions } from '../../protocol/channels/display/display-channel.ts';
import type { Session } from '../../protocol/session/session.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';
import { warmUpPngEncoder, writeSurfacePng, type PngCompression } from '../node/png.ts';
import { openSession } from '../connect/open-session.ts';
import { DrawingDamage } from './drawing-damage.ts';
import type { CaFile } from '../transport/tls-ca-file.ts';

export interface CaptureOptions {
  target: string;
  output: string;
  displayId: number;
  timeoutMs: number;
  settleMs: number;
  /** Take the frame no earlier than this long after connecting (to catch later drawing). */
  delayMs: number;
  /** Take the frame no earlier than this settles (capture --until-eof: standard input's end). */
  notBefore?: Promise<void>;
  /** What to ask the server for with PREFERRED_COMPRESSION. */
  display?: DisplayOptions;
  /** Whether a photo-like screen is deflated too (see png.ts); default auto. */
  pngCompression?: PngCompression;
  logger: Logger;
  warn: (line: string) => void;
  caFile?: CaFile;
  /** --memory-limit in bytes (undefined: the default). */
  memoryLimit?: number;
  /** --video-codecs. */
  videoCodecs?: number[];
}

export async function runCapture(o: CaptureOptions): Promise<void> {
  const { session, where, deadline } = await openSession({
    target: o.target,
    timeoutMs: o.timeoutMs,
    logger: o.logger,
    warn: o.warn,
    display: o.display,
    caFile: o.caFile,
    memoryLimit: o.memoryLimit,
    videoCodecs: o.videoCodecs,
    // Only the display asked for: linking the others would cost time and do nothing here.
    shouldLink: (c) => c.type === ChannelType.DISPLAY && c.id === o.displayId,
    // One frame: its images are decoded here, without a worker's 30-50 ms start (in-thread-decoder.ts).
    decodeInThisThread: true,
  });
  try {
    const listed = session.main.info.channels.filter((c) => c.type === ChannelType.DISPLAY).map((c) => c.id);
    if (!listed.includes(o.displayId)) {
      throw new SpiceError('usage', `${where} has no display ${o.displayId} (it has ${listed.length ? `display ${listed.join(', ')}` : 'no display channel'})`);
    }
    const display = session.display(o.displayId);
    if (!display) throw new SpiceError('internal', `display ${o.displayId} was listed but not created`);
    // The server is now linking the display channel and drawing the frame: time to spare here.
    setImmediate(warmUpPngEncoder);
    const damage = new DrawingDamage(display);
    await deadline.race(
      waitForSettledFrame(display, session, o.settleMs, o.delayMs, o.notBefore),
      () => new SpiceError('timeout', `no complete frame from display ${o.displayId} of ${where} within ${Math.round(o.timeoutMs / 1000)} s`),
    );
    // The surface itself, not a copy: the session is closed below, before anything else draws.
    // Taking it waits for what is still queued to be drawn, within the same --timeout.
    const surface = await deadline.race(
      display.snapshot({ live: true }),
      () => new SpiceError('timeout', `display ${o.displayId} of ${where} was still drawing what came with its frame when the --timeout of ${Math.round(o.timeoutMs / 1000)} s ran out`),
    );
    if (!surface) throw new SpiceError('protocol', `display ${o.displayId} of ${where} sent MARK without a primary surface`);
    if (o.logger !== silentLogger) o.logger.info({ ...(await deadline.race(display.stats(), () => new SpiceError('timeout', 'display statistics did not come in time'))), surface: [surface.width, surface.height] }, 'frame captured');
    const damaged = damage.describe();
    // Done with the server and the display worker: they wind down while the PNG is encoded.
    void session.close();
    await writeSurfacePng(o.output, surface, o.pngCompression).catch((e: Error) => {
      throw new SpiceError('usage', `cannot write ${o.output}: ${e.message}`);
    });
    // What could be drawn is written (it may help), but a script must not take it for the screen.
    if (damaged) throw new SpiceError('protocol', `${o.output} is written but is not a true picture of display ${o.displayId} of ${where}: ${damaged}`);
  } finally {
    // Awaited: the process may exit next, and a display connection must not end too early.
    await session.close();
  }
}

/**
 * Resolves once MARK has come, `delayMs` has passed since the call, `gate` (if any) has settled,
 * and no drawing has arrived for `settleMs`; rejects when the session or the display channel fails first.
 */
function waitForSettledFrame(display: DisplayChannel, session: Session, settleMs: number, delayMs: number, gate?: Promise<void>): Promise<void> {
  const notBefore = Date.now() + delayMs;
  return new Promise((resolve, reject) => {
    let open = gate === undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const offs: (() => void)[] = [];
    const done = (error?: Error): void => {
      if (timer) clearTimeout(timer);
      offs.forEach((off) => off());
      if (error) reject(error);
      else resolve();
    };
    // A display channel that failed to link before this was called (a refusal is quick).
    const status = session.status.get(`${ChannelType.DISPLAY}:${display.id}`);
    if (status?.state === 'failed') {
      reject(status.error);
      return;
    }
    const arm = (): void => {
      if (!display.marked || !open) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => done(), Math.max(settleMs, notBefore - Date.now()));
    };
    offs.push(display.events.on('mark', arm));
    offs.push(display.events.on('invalidate', arm));
    offs.push(session.events.on('channel-error', ({ error }) => done(error)));
    offs.push(session.events.on('closed', ({ error }) => done(error ?? new SpiceError('protocol', 'the session closed before the first frame'))));
    gate?.then(() => {
      open = true;
      arm();
    });
    arm();
  });
}
