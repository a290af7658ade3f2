// `spicedesk info`: its options and usage; the work is in info.ts.
import { ExitCode } from '../node/exit-codes.ts';
import { defineCommand, flag } from './args/option-spec.ts';
import { connectingOptions, oneTarget, trustedCaFile } from './args/shared-options.ts';
import { runInfo } from './info.ts';

export const infoCommand = defineCommand({
  name: 'info',
  synopsis: 'TARGET [--json]',
  summary:
    'server name, UUID, channels and what spicedesk does with each, mouse modes, agent,\n' +
    'negotiated capabilities',
  options: { ...connectingOptions, json: flag({ long: 'json', help: 'print it as JSON, for scripts' }) },
  operands: () => oneTarget('info'),
  async run({ values, operands: target }, cx) {
    const caFile = trustedCaFile(values.spiceCaFile, cx.warn);
    await runInfo({ caFile, target, json: values.json, timeoutMs: values.timeout, logger: await cx.logger(), warn: cx.warn, out: cx.out, memoryLimit: values.memoryLimit, videoCodecs: values.videoCodecs });
    return ExitCode.OK;
  },
});
