// `spicedesk demo`: its options and usage; the work is in demo.ts.
import { ExitCode } from '../node/exit-codes.ts';
import { defineCommand, flag, valueOption } from './args/option-spec.ts';
import { optionalTarget, timeoutOption } from './args/shared-options.ts';
import { runDemo } from './demo.ts';

export const demoCommand = defineCommand({
  name: 'demo',
  synopsis: '[TARGET] [-o FILE.png] [--once]',
  summary:
    'what the client does today: info and a capture of TARGET; with no TARGET, of a local\n' +
    'demo Xspice server with an xterm, which stays up until Ctrl+C (--once: stop at once)',
  options: {
    timeout: timeoutOption,
    output: valueOption({ long: 'output', short: 'o', valueName: 'FILE.png', needs: 'a FILE.png', absent: 'spicedesk-demo.png', help: 'where the capture goes (default spicedesk-demo.png)', parse: (raw) => raw }),
    once: flag({ long: 'once', help: 'stop the local demo server at once instead of at Ctrl+C' }),
  },
  operands: () => optionalTarget('demo'),
  async run({ values, operands: target }, cx) {
    await runDemo({ target, output: values.output, once: values.once, timeoutMs: values.timeout, logger: await cx.logger(), warn: cx.warn, out: cx.out });
    return ExitCode.OK;
  },
});
