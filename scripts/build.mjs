// Bundles the CLI into dist/ with esbuild. One CommonJS file, because bin/spicedesk.cjs compiles it
// with a V8 code cache (Node 20 has no compile cache for ES modules); that and skipping module
// resolution keep `spicedesk` start-up fast.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { build } from 'esbuild';

// A cache made for the previous bundles would only be rejected (bin/load-cached.cjs checks the
// source it was made from); remove them all so that the first runs rebuild them.
for (const f of safeList('dist')) if (/\.cache$/.test(f)) rmSync(`dist/${f}`, { force: true });

function safeList(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  // Less source to read at start-up (the code cache still needs the source); names are kept, so
  // stack traces and error names stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // The bundle runs through vm.Script, which has no loader for import(): turn lazy imports (pino)
  // into require().
  supported: { 'dynamic-import': false },
  // Native modules and electron are resolved at run time, never bundled.
  // ws too: only `serve`, `open` and ws:// targets load it, from node_modules at run time.
  // libav.js (LGPL-2.1) likewise: the video worker loads it and its .wasm with the first VP8/VP9 stream.
  external: ['electron', 'usb', 'node-hid', 'pino', 'pino-pretty', 'ws', '@libav.js/variant-webm-vp9'],
};

// The renderer (src/renderer) for browsers: the page's script and its decode worker as ES modules,
// beside its static files, in dist/renderer/ (served by `spicedesk serve`; loaded by Electron later).
rmSync('dist/renderer', { recursive: true, force: true });
mkdirSync('dist/renderer', { recursive: true });
for (const f of ['index.html', 'style.css']) copyFileSync(`src/renderer/${f}`, `dist/renderer/${f}`);
// xterm.js's own stylesheet, for the serial console's terminal (src/renderer/serial-console.ts).
copyFileSync('node_modules/@xterm/xterm/css/xterm.css', 'dist/renderer/xterm.css');
const renderer = {
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: ['chrome111', 'firefox113', 'safari16.4'],
  sourcemap: 'linked',
  logLevel: 'warning',
  outdir: 'dist/renderer',
};

/** Resolves opus-decoder's decoder file, which the package's exports do not name. */
const opusDecoderCore = {
  name: 'opus-decoder-core',
  setup(b) {
    b.onResolve({ filter: /^opus-decoder\/src\/OpusDecoder\.js$/ }, () => ({ path: resolvePath('node_modules/opus-decoder/src/OpusDecoder.js') }));
  },
};

await Promise.all([
  build({ ...renderer, entryPoints: ['src/renderer/main.ts', 'src/renderer/decode-worker.ts'] }),
  // xterm.js on its own, imported by the serial console only when a VM has one (serial-console.ts).
  build({ ...renderer, entryPoints: ['src/renderer/xterm-module.ts'] }),
  // The page's audio worklet module (playout and capture processors): a separate script, which
  // audioWorklet.addModule loads from the page's origin.
  // Its Opus decoder is opus-decoder's src/OpusDecoder.js alone (src/renderer/audio/worklet-opus.ts):
  // the package's index also defines a Web Worker class at load, which a worklet has not.
  build({ ...renderer, entryPoints: ['src/renderer/audio/audio-worklet.ts'], plugins: [opusDecoderCore] }),
  build({ ...common, entryPoints: ['src/main/cli.ts'], outfile: 'dist/cli.cjs' }),
  // The web gateway, loaded by `serve` and `open` only (src/main/cli.ts runServe).
  build({ ...common, entryPoints: ['src/main/commands/serve.ts'], outfile: 'dist/serve.cjs' }),
  // The CLI's decode pool workers (src/main/display-worker).
  build({ ...common, entryPoints: ['src/main/display-worker/decode-worker-entry.ts'], outfile: 'dist/decode-worker.cjs' }),
  // The same decoders for the CLI's own thread, loaded by `capture` (src/main/display-worker/in-thread-decoder.ts).
  build({ ...common, entryPoints: ['src/main/display-worker/in-thread-decoders-entry.ts'], outfile: 'dist/image-decoders.cjs' }),
  // The CLI's VP8/VP9 video worker (src/main/video), started with the first such stream.
  build({ ...common, entryPoints: ['src/main/video/video-worker-entry.ts'], outfile: 'dist/video-worker.cjs' }),
  // The Electron app (src/main/electron): its main process (package.json "main") and the window's
  // preload, which runs sandboxed and so must be one file that requires nothing but electron.
  build({ ...common, target: 'node22', entryPoints: ['src/main/electron/electron-main.ts'], outfile: 'dist/electron-main.cjs' }),
  build({ ...common, platform: 'browser', target: 'chrome130', entryPoints: ['src/main/electron/preload.ts'], outfile: 'dist/preload.cjs', external: ['electron'] }),
]);
