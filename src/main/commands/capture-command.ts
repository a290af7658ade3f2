// `spicedesk capture`: its options and usage; the work is in capture.ts.
import { defaultDisplayOptions } from '../../protocol/channels/display/display-channel.ts';
import { ImageCompression } from '../../protocol/channels/display/display-messages.ts';
import { ExitCode } from '../node/exit-codes.ts';
import { defineCommand, flag, usageError, valueOption, wholeNumberOption } from './args/option-spec.ts';
import { connectingOptions, displayOption, oneTarget, trustedCaFile } from './args/shared-options.ts';
import { runCapture } from './capture.ts';

/** --compression's names: what PREFERRED_COMPRESSION asks for; null leaves the server's setting. */
const compressionNames = new Map<string, number | null>([
  ['server', null],
  ['off', ImageCompression.OFF],
  ['auto-glz', ImageCompression.AUTO_GLZ],
  ['auto-lz', ImageCompression.AUTO_LZ],
  ['quic', ImageCompression.QUIC],
  ['glz', ImageCompression.GLZ],
  ['lz', ImageCompression.LZ],
  ['lz4', ImageCompression.LZ4],
]);
const compressionList = [...compressionNames.keys()];

export const captureCommand = defineCommand({
  name: 'capture',
  synopsis:
    'TARGET -o FILE.png [--display N] [--timeout SECONDS] [--settle MS] [--delay SECONDS] [--until-eof]\n' +
    `[--compression ${compressionList.join('|')}] [--small-png]`,
  summary:
    'connect, wait for the first complete frame of display N (default 0) and until no drawing\n' +
    'has come for --settle ms (default 0: what arrived with MARK), but at least --delay\n' +
    'seconds and, with --until-eof, after standard input has ended; write it as PNG.\n' +
    '--compression asks the server for an image compression (PREFERRED_COMPRESSION, when the\n' +
    "server allows it); default server: leave the server's own setting. A mostly photo-like\n" +
    'screen is written uncompressed inside the PNG (fast, as large as a PPM); --small-png\n' +
    'deflates it anyway (a third smaller, several times slower)',
  options: {
    ...connectingOptions,
    output: valueOption<string | undefined>({ long: 'output', short: 'o', valueName: 'FILE.png', needs: 'a FILE.png', absent: undefined, help: 'the PNG to write', parse: (raw) => raw }),
    display: displayOption,
    settle: wholeNumberOption({ long: 'settle', valueName: 'MS', min: 0, max: 60_000, absent: 0, help: 'wait until no drawing has come for MS milliseconds (default 0)' }),
    delay: wholeNumberOption({ long: 'delay', valueName: 'SECONDS', min: 0, max: 3600, scale: 1000, absent: 0, help: 'take the frame no earlier than SECONDS after connecting (default 0)' }),
    untilEof: flag({
      long: 'until-eof',
      help: 'take the frame only after standard input has ended (then --settle): for a script that draws while the capture watches',
    }),
    compression: valueOption<number | null>({
      long: 'compression',
      valueName: compressionList.join('|'),
      needs: `one of ${compressionList.join(', ')}`,
      absent: defaultDisplayOptions.compression,
      help: "the image compression to ask the server for; default server (the server's own setting)",
      parse(raw) {
        if (!compressionNames.has(raw)) throw usageError(`--compression must be one of ${compressionList.join(', ')}, got "${raw}"`);
        return compressionNames.get(raw)!;
      },
    }),
    smallPng: flag({ long: 'small-png', help: 'deflate a photo-like screen too (a third smaller, several times slower)' }),
  },
  operands: () => oneTarget('capture'),
  async run({ values, operands: target }, cx) {
    if (values.output === undefined) throw usageError('capture needs an output file: -o FILE.png');
    const caFile = trustedCaFile(values.spiceCaFile, cx.warn);
    await runCapture({
      caFile,
      target,
      output: values.output,
      displayId: values.display,
      timeoutMs: values.timeout,
      settleMs: values.settle,
      delayMs: values.delay,
      notBefore: values.untilEof ? endOfStandardInput() : undefined,
      display: { ...defaultDisplayOptions, compression: values.compression },
      pngCompression: values.smallPng ? 'always' : 'auto',
      logger: await cx.logger(),
      warn: cx.warn,
      memoryLimit: values.memoryLimit,
      videoCodecs: values.videoCodecs,
    });
    return ExitCode.OK;
  },
});

/** Settles when standard input ends, is closed or fails; what it carries is read and dropped. */
function endOfStandardInput(): Promise<void> {
  return new Promise((resolve) => {
    const end = (): void => resolve();
    process.stdin.once('end', end).once('close', end).once('error', end);
    process.stdin.on('data', () => {});
    process.stdin.resume();
  });
}
