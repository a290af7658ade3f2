// `npm run bench`: runs the benchmarks against real peers, prints their tables and writes the
// results as JSON to bench/results/ (git-ignored). Exits non-zero if a bench fails.
//   npm run bench -- [--only capture|capture-photo|decoders|video-decode|gateway|video|interactive|first-frame|webdav|webdav-wire|audio|usb] [--runs 15] [--audio-minutes 10]
//                    [--webdav-baseline OTHER/dist/cli.cjs] [--cpu-prof DIR] [--record] [--audio-baseline OTHER_ROOT]
//                    [--usb-baseline OTHER/bin/spicedesk.cjs]  (the usb bench also reads the CD through that CLI, e.g. an older build, in the same run)
// The script bundles this file with esbuild to dist/bench.js first, because Node 20 cannot run
// TypeScript directly.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runAudioBench } from './audio-bench.ts';
import { runCaptureBench } from './capture-bench.ts';
import { PHOTO_KINDS, type PhotoKind } from '../peers/photo-content.ts';
import { runDecodersBench } from './decoders-bench.ts';
import { runGatewayBench } from './gateway-bench.ts';
import { runInteractiveBench } from './interactive-bench.ts';
import { runFirstFrameBench } from './first-frame-bench.ts';
import { runUsbBench } from './usb-bench.ts';
import { runVideoBench } from './video-bench.ts';
import { runVideoDecodeBench } from './video-decode-bench.ts';
import { runWebdavBench } from './webdav-bench.ts';
import { runWebdavWireBench } from './webdav-wire-bench.ts';

interface Bench {
  name: string;
  run(options: { runs: number; root: string; audioMinutes: number; audioBaseline?: string; webdavBaseline?: string; cpuProfDir?: string; record: boolean; usbBaseline?: string }): Promise<{ table: string; failure?: string } & object>;
}

/** BENCH_CAPTURE_KINDS=photograph,noise: capture-photo on those kinds of content only (default: all). */
function photoKindsFromEnv(): PhotoKind[] | undefined {
  const wanted = process.env.BENCH_CAPTURE_KINDS;
  if (!wanted) return undefined;
  return wanted.split(',').map((k) => {
    const kind = PHOTO_KINDS.find((known) => known === k.trim());
    if (!kind) throw new Error(`BENCH_CAPTURE_KINDS: "${k}" is not one of ${PHOTO_KINDS.join(', ')}`);
    return kind;
  });
}

const benches: Bench[] = [
  {
    name: 'capture',
    async run(options) {
      const result = await runCaptureBench({ ...options, baselineRoot: process.env.BENCH_CAPTURE_BASELINE });
      return { ...result, failure: result.spicedeskError && `spicedesk capture failed: ${result.spicedeskError}` };
    },
  },
  {
    name: 'capture-photo',
    async run(options) {
      // BENCH_CAPTURE_BASELINE=DIR: another built checkout's capture in the same rounds.
      const result = await runCaptureBench({ ...options, scenario: 'photo', kinds: photoKindsFromEnv(), baselineRoot: process.env.BENCH_CAPTURE_BASELINE });
      return { ...result, failure: result.spicedeskError && `spicedesk capture failed: ${result.spicedeskError}` };
    },
  },
  {
    // spicedesk's image decoders against spice-html5's on the recorded fixtures (no server needed).
    name: 'decoders',
    run: (options) => runDecodersBench(options),
  },
  {
    // The CLI's VP8/VP9 (libav.js) and MJPEG stream decoders on the recorded Xspice streams (no server needed).
    name: 'video-decode',
    run: (options) => runVideoDecodeBench(options),
  },
  {
    // spicedesk in headless Chromium through `spicedesk serve` against spice-html5 through
    // websockify, on an Xspice xterm that scrolls without pause: frames drawn and client CPU.
    name: 'gateway',
    run: (options) => runGatewayBench(options),
  },
  {
    // A video playing on Xspice, one row per codec: spicedesk's page against spice-html5 (MJPEG,
    // VP8) and remote-viewer in Xvfb: frames sent, on time, dropped and shown, and client CPU.
    name: 'video',
    run: (options) => runVideoBench(options),
  },
  {
    // What a user feels, the same way for every client: spicedesk's page, spice-html5 and
    // remote-viewer as windows on one Xvfb, keys and clicks through XTEST, the screen read back by
    // x-probe: key-to-glyph, click-to-pixel, first frame, and a live session's CPU, frames, memory.
    name: 'interactive',
    run: (options) => runInteractiveBench(options),
  },
  {
    // spicedesk's time to the first frame split into its steps on one clock (gateway log, page and
    // worker marks over DevTools, x-probe on the Xvfb), at most 10 runs.
    name: 'first-frame',
    run: (options) => runFirstFrameBench(options),
  },
  {
    // Folder sharing: a 64 MiB file copied by a guest's curl into the shared folder and back,
    // through spicedesk and through spicy: MiB/s and client CPU per MiB (at most 3 rounds).
    name: 'webdav',
    run: (options) => runWebdavBench(options),
  },
  {
    // The same copies with a script as the guest's side of the webdav channel, writing as fast as
    // the client takes it: the clients' own MiB/s and CPU per MiB, no TCG guest setting the pace.
    name: 'webdav-wire',
    run: (options) => runWebdavWireBench(options),
  },
  {
    // Sound from Xspice (RAW, Opus) in spicedesk's page, spice-html5 (Opus) and remote-viewer, all
    // into a PulseAudio null sink: latency from the FIFO write to the output, CPU, and the page's drift.
    name: 'audio',
    run: (options) => runAudioBench({ ...options, baselineRoot: options.audioBaseline }),
  },
  {
    // The shared CD (64 MiB ISO) read with dd iflag=direct in a QEMU guest: spicedesk against
    // spicy --spice-share-cd, MiB/s and client CPU per MiB.
    name: 'usb',
    run: (options) => runUsbBench(options),
  },
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      runs: { type: 'string', default: '15' },
      // The audio bench's drift run: minutes of playback in spicedesk's page (0: none).
      'audio-minutes': { type: 'string', default: '10' },
      // The audio bench: another checkout's root (bin/spicedesk.cjs, dist/), measured as 'spicedesk (baseline)' in the same rounds.
      'audio-baseline': { type: 'string' },
      // The webdav bench: another build's dist/cli.cjs, run as a third client in the same rounds
      // (before/after in one run), and a folder for spicedesk's V8 CPU profiles (node --cpu-prof).
      'webdav-baseline': { type: 'string' },
      'cpu-prof': { type: 'string' },
      // The interactive bench writes its ratios as the new baseline of its regression guard.
      record: { type: 'boolean', default: false },
      // The usb bench: another spicedesk CLI (say main's build) measured in the same run as this one.
      'usb-baseline': { type: 'string' },
    },
  });
  const audioMinutes = Number(values['audio-minutes']);
  if (!Number.isFinite(audioMinutes) || audioMinutes < 0 || audioMinutes > 600) {
    console.error(`--audio-minutes must be a number of minutes from 0 to 600, got "${values['audio-minutes']}"`);
    return 2;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 1000) {
    console.error(`--runs must be a whole number from 1 to 1000, got "${values.runs}"`);
    return 2;
  }
  const selected = values.only?.length ? benches.filter((b) => values.only?.includes(b.name)) : benches;
  if (selected.length === 0) {
    console.error(`no bench named ${values.only?.join(', ')}; there are: ${benches.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const root = resolve(process.cwd());
  const resultsDir = join(root, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  let failed = false;
  for (const bench of selected) {
    console.log(`\n## ${bench.name} (${runs} runs each)\n`);
    try {
      const result = await bench.run({
        runs,
        root,
        audioMinutes,
        audioBaseline: values['audio-baseline'] && resolve(values['audio-baseline']),
        webdavBaseline: values['webdav-baseline'],
        cpuProfDir: values['cpu-prof'],
        record: values.record ?? false,
        usbBaseline: values['usb-baseline'],
      });
      console.log(result.table);
      const file = join(resultsDir, `${bench.name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
      writeFileSync(file, `${JSON.stringify({ ...result, node: process.version, date: new Date().toISOString() }, null, 2)}\n`);
      console.log(`\nresults: ${file}`);
      if (result.failure) {
        console.error(`\n${bench.name}: ${result.failure}`);
        failed = true;
      }
    } catch (error) {
      console.error(`${bench.name}: ${(error as Error).stack ?? String(error)}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
