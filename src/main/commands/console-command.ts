// `spicedesk console`: its options and usage; the work is in console.ts.
import { ExitCode } from '../node/exit-codes.ts';
import { defineCommand, flag } from './args/option-spec.ts';
import { caFileOption, memoryLimitOption, oneTarget, timeoutOption, trustedCaFile } from './args/shared-options.ts';
import { runConsole } from './console.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';

export const consoleCommand = defineCommand({
  name: 'console',
  synopsis: 'TARGET [--exit-on-eof]',
  summary:
    "the VM's serial console (QEMU's port org.qemu.console.serial.0) in this terminal: what the\n" +
    'guest writes on stdout, stdin to the guest. On a terminal every key goes to the guest and\n' +
    'Ctrl+] quits; otherwise it runs until interrupted or the session ends',
  options: {
    timeout: timeoutOption,
    spiceCaFile: caFileOption,
    memoryLimit: memoryLimitOption,
    exitOnEof: flag({ long: 'exit-on-eof', help: 'end when stdin ends (for piping a script into the console)' }),
  },
  operands: () => oneTarget('console'),
  async run({ values, operands: target }, cx) {
    // stdin carries the console's input here, so it cannot carry a .vv file as well.
    if (target === '-') throw new SpiceError('usage', 'console reads the console\'s input from stdin: give the TARGET as a spice:// URI or a .vv file, not -');
    await runConsole({
      target,
      timeoutMs: values.timeout,
      exitOnEof: values.exitOnEof,
      caFile: trustedCaFile(values.spiceCaFile, cx.warn),
      memoryLimit: values.memoryLimit,
      logger: await cx.logger(),
      warn: cx.warn,
      note: (line) => void process.stderr.write(`spicedesk: ${line}\n`),
      stdin: process.stdin,
      stdout: process.stdout,
    });
    return ExitCode.OK;
  },
});
