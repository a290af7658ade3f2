// `spicedesk do TARGET ACTION...`: runs actions in order on one connection, as vncdotool does for
// VNC. Its options may come before the TARGET and between actions, never inside one; each action
// reads its own words (action-table.ts). The script runs in run-script.ts.
import { indent, wrapWords } from '../args/help.ts';
import { parseCommandLine } from '../args/parse-command-line.ts';
import { defineCommand, flag, usageError, wholeNumberOption, type OperandReader, type OptionValues, type EveryCommandValues } from '../args/option-spec.ts';
import {
  caFileOption, displayOption, memoryLimitOption, printOptions, sharedDirOptions, timeoutOption, trustedCaFile, usbCommandLineOf, usbOptions, videoCodecsOption,
} from '../args/shared-options.ts';
import { stepOf, type DoStep } from './action.ts';
import { doActionFamilies, doActions } from './action-table.ts';
import { runScript, type DoCommandLine } from './run-script.ts';
import { sharedDirOf } from '../../webdav/shared-dir.ts';
import { printSettingOf } from '../../printing/print-setting.ts';

const doOptions = {
  timeout: timeoutOption,
  display: displayOption,
  spiceCaFile: caFileOption,
  memoryLimit: memoryLimitOption,
  videoCodecs: videoCodecsOption,
  ...sharedDirOptions,
  ...usbOptions,
  ...printOptions,
  reconnect: flag({ long: 'reconnect', help: 'when the connection drops, link again and go on (see above)' }),
  reconnectTimeout: wholeNumberOption({
    long: 'reconnect-timeout',
    valueName: 'S',
    min: 1,
    max: 86_400,
    scale: 1000,
    unit: 'second',
    absent: undefined,
    help: 'how long after a drop to keep trying (default 60)',
  }),
};

const DEFAULT_RECONNECT_TIMEOUT_MS = 60_000;

interface Script {
  target: string;
  actions: DoStep[];
}

/** TARGET, then actions: each action's name and the words it takes. */
function scriptReader(): OperandReader<Script> {
  let target: string | undefined;
  const actions: DoStep[] = [];
  return {
    take(word, more) {
      if (target === undefined) {
        target = word;
        return;
      }
      const action = doActions.get(word.toLowerCase());
      if (!action) throw usageError(`unknown action "${word}"; actions are ${[...doActions.keys()].join(', ')} (run spicedesk do --help)`);
      const args = action.parse({
        word,
        take(what) {
          const next = more.next();
          if (next === undefined) throw usageError(`${word} needs ${what}`);
          return next;
        },
        peek: () => more.peek(),
        skip: () => void more.next(),
        isAction: (w) => doActions.has(w.toLowerCase()),
      });
      actions.push(stepOf(action, args));
    },
    finish() {
      if (target === undefined) throw usageError('do needs a TARGET (a spice:// URI, a .vv file or -) and then actions');
      if (actions.length === 0) throw usageError(`do needs at least one action after the TARGET: ${[...doActions.keys()].join(', ')}`);
      return { target, actions };
    },
  };
}

/** The actions and what --reconnect does with each, from their definitions. */
function doSummary(): string {
  const entries = doActionFamilies.map((family) => {
    const lines = family.actions.map((a) => {
      const help = a.help.split('\n');
      if (a.synopsis.length > 20) return `  ${a.synopsis}\n${indent(help.join('\n'), 23)}`;
      return `  ${a.synopsis.padEnd(20)} ${help[0]}${help.length > 1 ? `\n${indent(help.slice(1).join('\n'), 23)}` : ''}`;
    });
    return `${family.title}:\n${lines.join('\n')}`;
  });
  const all = doActionFamilies.flatMap((f) => f.actions);
  const list = (names: string[]): string => `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
  const repeated = list(all.filter((a) => a.repeatable).map((a) => a.name));
  const notRepeated = list(all.filter((a) => !a.repeatable).map((a) => a.name));
  const reconnect = wrapWords(
    '--reconnect: when the connection drops (network cut, server restart), say so on stderr, link again with backoff ' +
      '(1 s doubling to 30 s) for up to --reconnect-timeout S (default 60) and go on. ' +
      `An interrupted ${repeated} is repeated; an interrupted ${notRepeated} is not (part of it may have reached the guest): exit 3`,
    86,
  );
  return [
    'run actions in order on one connection; options may come before the TARGET and between',
    'actions, never inside one (type --debug types "--debug")',
    ...entries,
    reconnect.replace(/\n/g, '\n  '),
  ].join('\n');
}

function lineOf(values: OptionValues<typeof doOptions> & EveryCommandValues, script: Script): DoCommandLine {
  return {
    target: script.target,
    actions: script.actions,
    timeoutMs: values.timeout,
    displayId: values.display,
    verbose: values.verbose,
    debug: values.debug,
    help: false,
    reconnect: values.reconnect,
    reconnectTimeoutMs: values.reconnectTimeout ?? DEFAULT_RECONNECT_TIMEOUT_MS,
    caFile: values.spiceCaFile,
    memoryLimit: values.memoryLimit,
    videoCodecs: values.videoCodecs,
    sharedDir: sharedDirOf(values),
    usb: usbCommandLineOf(values),
    print: printSettingOf(values),
  };
}

export const doCommand = defineCommand({
  name: 'do',
  synopsis: '[--timeout S] [--display N] [--spice-ca-file FILE] [--memory-limit SIZE] [--reconnect [--reconnect-timeout S]]\nTARGET ACTION...',
  get summary() {
    return doSummary();
  },
  options: doOptions,
  operands: scriptReader,
  check({ values }) {
    if (values.reconnectTimeout !== undefined && !values.reconnect) throw usageError('--reconnect-timeout needs --reconnect');
  },
  async run({ values, operands }, cx) {
    const line = lineOf(values, operands);
    const caFile = trustedCaFile(line.caFile, cx.warn);
    return runScript({ line, caFile, logger: await cx.logger(), warn: cx.warn, fail: cx.fail });
  },
});

/** `do`'s arguments (after the word do) as a script; a usage SpiceError naming the bad part. */
export function parseDoArgs(args: readonly string[]): DoCommandLine {
  const parsed = parseCommandLine(doCommand, args);
  if (parsed.help) return { target: '', actions: [], timeoutMs: timeoutOption.absent, displayId: 0, verbose: false, debug: false, help: true, reconnect: false, reconnectTimeoutMs: DEFAULT_RECONNECT_TIMEOUT_MS };
  return lineOf(parsed.input.values, parsed.input.operands);
}
