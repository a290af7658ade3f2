// `spicedesk serve`: its options and usage. The gateway itself (serve.ts and the WebSocket
// library) is a bundle of its own, dist/serve.cjs, loaded only by `serve` and `open`: the other
// commands start faster without it.
import { sharedDirOf } from '../webdav/shared-dir.ts';
import { printSettingOf } from '../printing/print-setting.ts';
import { requireCachedBundle } from '../node/cached-bundle.ts';
import { ExitCode } from '../node/exit-codes.ts';
import { defineCommand, flag, type CommandContext } from './args/option-spec.ts';
import { clientOptions, kioskFlags, targetList, trustedCaFile, usbCommandLineOf } from './args/shared-options.ts';
import type { ServeOptions } from './serve.ts';

/** Runs serve.ts from dist/serve.cjs, beside the bundled CLI. */
export function runServe(o: ServeOptions): Promise<void> {
  return loadServeBundle(__dirname).runServe(o);
}

/**
 * dist/serve.cjs, through the same V8 code cache as the CLI (bin/load-cached.cjs, its cache beside
 * the bundle) where that loader is there: compiling the gateway's half a megabyte was about a
 * tenth of `open`'s start before it listens (bench/README.md, first frame). A plain require otherwise.
 */
export function loadServeBundle(distDir: string): typeof import('./serve.ts') {
  return requireCachedBundle(distDir, 'serve.cjs') as typeof import('./serve.ts');
}

/** The values open and serve share, as the gateway takes them. */
export interface ClientValues {
  timeout: number;
  spiceCaFile: string | undefined;
  listen: string | undefined;
  clipboard: ServeOptions['clipboardPolicy'];
  fileTransfer: Parameters<typeof kioskFlags>[0]['fileTransfer'];
  monitorMapping: ServeOptions['monitorMapping'];
  kiosk: boolean;
  kioskQuit: Parameters<typeof kioskFlags>[0]['kioskQuit'];
  videoCodecs: number[] | undefined;
  memoryLimit: number | undefined;
  spiceSharedDir: string | undefined;
  spiceSharedDirRo: boolean;
  spiceShareCd: readonly string[];
  spiceUsbredirAutoRedirectFilter: string | undefined;
  spiceUsbredirRedirectOnConnect: string | undefined;
  printTo: string | undefined;
  printMaxMb: number | undefined;
}

/** Runs the web gateway for `serve` and for `open` without Electron. */
export async function runGateway(values: ClientValues, o: { targets: string[]; demo: boolean; open: boolean }, cx: CommandContext): Promise<number> {
  await runServe({
    caFile: trustedCaFile(values.spiceCaFile, cx.warn),
    targets: o.targets,
    listen: values.listen,
    demo: o.demo,
    open: o.open,
    clipboardPolicy: values.clipboard,
    monitorMapping: values.monitorMapping,
    kiosk: kioskFlags(values, cx.warn),
    timeoutMs: values.timeout,
    memoryLimit: values.memoryLimit,
    videoCodecs: values.videoCodecs,
    sharedDir: sharedDirOf(values),
    usb: usbCommandLineOf(values),
    print: printSettingOf(values),
    logger: await cx.logger(),
    warn: cx.warn,
    out: cx.out,
  });
  return ExitCode.OK;
}

export const serveCommand = defineCommand({
  name: 'serve',
  synopsis: '[--listen HOST:PORT] [--open] TARGET... | serve --demo [--open]',
  summary:
    'the web gateway: serves the client to a browser, which opens one session per page to\n' +
    'one of these TARGETs (#target=N in the URL; nothing else). Prints the URL to open, with\n' +
    'its access token, on the first line. Listens on 127.0.0.1 and a free port by default.\n' +
    "--demo serves a local demo Xspice instead; --open opens the page in the system's browser\n" +
    'by a one-time launch link, never with the token on its command line',
  options: {
    ...clientOptions,
    demo: flag({ long: 'demo', help: 'serve a local demo Xspice with an xterm instead of TARGETs' }),
    open: flag({
      long: 'open',
      help:
        "open the page in the system's browser (xdg-open, or $BROWSER) by a one-time launch link\n" +
        "(good once, for 20 s): the browser's command line, which every local user can read,\n" +
        'never holds the access token',
    }),
  },
  operands: targetList,
  run: ({ values, operands }, cx) => runGateway(values, { targets: operands, demo: values.demo, open: values.open }, cx),
});
