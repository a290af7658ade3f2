// The `do` actions that look at the screen: capture writes it once drawing has paused, expect
// waits until it (or a region of it) equals a PNG. Both only look, so a reconnect repeats them.
import type { Logger } from '../../../protocol/logger.ts';
import type { DisplayChannel } from '../../../protocol/channels/display/display-channel.ts';
import type { SurfaceSnapshot } from '../../../protocol/channels/display/display-sink.ts';
import { SpiceError } from '../../../protocol/wire/errors.ts';
import { ExitCode } from '../../node/exit-codes.ts';
import { writeSurfacePng } from '../../node/png.ts';
import { decodePng, type RgbaPng } from '../../node/png-decode.ts';
import { readUserFile, UserFileProblem } from '../../node/user-file.ts';
import { defineAction, seconds, usage, type DoActionDefinition, type ScriptScreen } from './action.ts';

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How long drawing must pause before `capture` takes the screen, and the most it waits for that. */
const CAPTURE_QUIET_MS = 150;
const CAPTURE_QUIET_LIMIT_MS = 3000;

function parseRegion(value: string | undefined): Region {
  const m = value === undefined ? null : /^(\d+),(\d+),(\d+),(\d+)$/.exec(value);
  if (!m) throw usage(`expect --region must be X,Y,WIDTH,HEIGHT in pixels, e.g. 0,0,200,100, got ${value === undefined ? 'nothing' : `"${value}"`}`);
  const [x, y, width, height] = m.slice(1).map(Number);
  if (width === 0 || height === 0) throw usage(`expect --region ${value}: width and height must be at least 1`);
  if (x + width > 65535 || y + height > 65535) throw usage(`expect --region ${value} is larger than any screen`);
  return { x, y, width, height };
}

interface ExpectArgs {
  file: string;
  region?: Region;
  timeoutMs: number;
  /** The PNG, read before connecting. */
  image?: RgbaPng;
}

/** The largest PNG `expect` reads: a whole 8192x8192 screen barely compressed fits. */
const MAX_EXPECTED_PNG_BYTES = 256 * 1024 * 1024;

async function readExpectedImage(a: ExpectArgs): Promise<RgbaPng> {
  let bytes: Uint8Array;
  try {
    bytes = readUserFile(a.file, MAX_EXPECTED_PNG_BYTES);
  } catch (e) {
    if (e instanceof UserFileProblem) throw usage(`expect: ${a.file} ${e.reason}`);
    throw e;
  }
  let image: RgbaPng;
  try {
    image = decodePng(bytes);
  } catch (e) {
    throw usage(`expect: ${a.file} is not a PNG spicedesk can read: ${(e as Error).message}`);
  }
  const r = a.region;
  if (r && !(image.width === r.width && image.height === r.height) && (image.width < r.x + r.width || image.height < r.y + r.height)) {
    throw usage(
      `expect: ${a.file} is ${image.width}x${image.height}; with --region ${r.x},${r.y},${r.width},${r.height} it must be ${r.width}x${r.height}, ` +
        `or a whole screen that contains the region`,
    );
  }
  return image;
}

export const screenActions: readonly DoActionDefinition<unknown>[] = [
  defineAction<{ file: string }>({
    name: 'capture',
    synopsis: 'capture FILE.png',
    help: 'write the screen once drawing has paused',
    needs: ['display'],
    repeatable: true,
    parse: (words) => ({ file: words.take('an output FILE.png') }),
    async run({ file }, script) {
      const display = await script.screen.firstFrame(Math.max(1000, script.deadline.at - Date.now()));
      await quiet(display, CAPTURE_QUIET_MS, CAPTURE_QUIET_LIMIT_MS);
      const surface = await script.screen.snapshot();
      const damaged = script.screen.damaged();
      await writeSurfacePng(file, surface).catch((e: Error) => {
        throw usage(`capture: cannot write ${file}: ${e.message}`);
      });
      script.logger.info({ file, size: [surface.width, surface.height] }, 'captured');
      // As `spicedesk capture`: the file is written, but the script learns it is not the screen.
      if (damaged) return { code: ExitCode.PROTOCOL, message: `capture: ${file} is written but is not a true picture of display ${script.displayId}: ${damaged}` };
      return null;
    },
  }),
  defineAction<ExpectArgs>({
    name: 'expect',
    synopsis: 'expect FILE.png [--region X,Y,W,H] [--timeout S]',
    help: 'wait (default 10 s) until the screen, or the region, equals the PNG;\nexits 8 if it never does, saying how many pixels differ',
    needs: ['display'],
    repeatable: true,
    parse(words) {
      const args: ExpectArgs = { file: words.take('a FILE.png to compare the screen with'), timeoutMs: 10_000 };
      for (;;) {
        const next = words.peek();
        if (next === '--region') {
          words.skip();
          args.region = parseRegion(words.peek() === undefined ? undefined : words.take('X,Y,W,H'));
        } else if (next === '--timeout') {
          words.skip();
          args.timeoutMs = seconds(words.peek() === undefined ? undefined : words.take('S'), 'expect --timeout', 3600, 0.1);
        } else return args;
      }
    },
    prepare: async (args) => ({ ...args, image: await readExpectedImage(args) }),
    async run(args, script) {
      if (!args.image) throw new SpiceError('internal', `expect ${args.file} ran before its PNG was read`);
      const message = await expectScreen(args, args.image, script.screen, script.logger);
      return message === null ? null : { code: ExitCode.EXPECT_FAILED, message };
    },
  }),
];

/** Waits until the screen matches; null when it does, else the reason. */
async function expectScreen(
  action: ExpectArgs,
  expected: RgbaPng,
  screen: ScriptScreen,
  logger: Logger,
): Promise<string | null> {
  const started = Date.now();
  const end = started + action.timeoutMs;
  let display: DisplayChannel;
  try {
    display = await screen.firstFrame(action.timeoutMs);
  } catch (e) {
    if (e instanceof SpiceError && e.kind === 'timeout') return `expect ${action.file}: no frame from the server within ${action.timeoutMs / 1000} s`;
    throw e;
  }
  let drawn = true;
  const off = display.events.on('invalidate', () => (drawn = true));
  try {
    let last: Comparison | null = null;
    for (;;) {
      if (drawn || !last) {
        drawn = false;
        last = compareScreen(await screen.snapshot(), expected, action.region);
        if (last.differing === 0 && !last.problem) {
          logger.info({ file: action.file, ms: Date.now() - started }, 'screen matches');
          return null;
        }
      }
      const left = end - Date.now();
      if (left <= 0) break;
      await waitForDrawing(display, Math.min(left, 250));
    }
    if (drawn) last = compareScreen(await screen.snapshot(), expected, action.region);
    if (last.differing === 0 && !last.problem) return null;
    const r = action.region;
    const what = r ? `region ${r.x},${r.y},${r.width},${r.height} of the screen` : 'the screen';
    const why = last.problem ?? `${last.differing} of ${last.total} pixels differ`;
    return `expect ${action.file}: ${what} did not match within ${action.timeoutMs / 1000} s: ${why}`;
  } finally {
    off();
  }
}

/** Resolves once no drawing has come for `quietMs`, or after `limitMs` at most. */
function quiet(display: DisplayChannel, quietMs: number, limitMs: number): Promise<void> {
  return new Promise((resolve) => {
    let timer = setTimeout(done, quietMs);
    const limit = setTimeout(done, limitMs);
    const off = display.events.on('invalidate', () => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    });
    function done(): void {
      clearTimeout(timer);
      clearTimeout(limit);
      off();
      resolve();
    }
  });
}

/** Resolves at the next drawing, or after `ms`. */
function waitForDrawing(display: DisplayChannel, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const off = display.events.on('invalidate', done);
    function done(): void {
      clearTimeout(timer);
      off();
      resolve();
    }
  });
}

export interface Comparison {
  differing: number;
  total: number;
  /** Set when the images cannot be compared at all (sizes). */
  problem?: string;
}

/**
 * Compares the screen, or a region of it, with a PNG: RGB only, alpha ignored. With a region the
 * PNG is either exactly the region's size or a whole screen whose same region is compared.
 */
export function compareScreen(screen: SurfaceSnapshot, expected: RgbaPng, region?: Region): Comparison {
  const r = region ?? { x: 0, y: 0, width: screen.width, height: screen.height };
  if (r.x + r.width > screen.width || r.y + r.height > screen.height) {
    return { differing: 0, total: r.width * r.height, problem: `the region reaches beyond the ${screen.width}x${screen.height} screen` };
  }
  let ox: number;
  let oy: number;
  if (expected.width === r.width && expected.height === r.height) {
    ox = 0;
    oy = 0;
  } else if (region && expected.width >= r.x + r.width && expected.height >= r.y + r.height) {
    ox = r.x;
    oy = r.y;
  } else {
    return { differing: 0, total: r.width * r.height, problem: `the screen is ${screen.width}x${screen.height} and the PNG ${expected.width}x${expected.height}` };
  }
  let differing = 0;
  const px = expected.rgba;
  for (let y = 0; y < r.height; y++) {
    let s = (r.y + y) * screen.width + r.x;
    let e = ((oy + y) * expected.width + ox) * 4;
    for (let x = 0; x < r.width; x++, s++, e += 4) {
      const word = screen.data[s];
      if (((word >>> 16) & 0xff) !== px[e] || ((word >>> 8) & 0xff) !== px[e + 1] || (word & 0xff) !== px[e + 2]) differing++;
    }
  }
  return { differing, total: r.width * r.height };
}
