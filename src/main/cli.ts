// The `spicedesk` command line: looks the command up in the table (commands/table.ts), parses its
// arguments by its definition, runs it, and maps its outcome to an exit code and one line on
// stderr (a stack trace only with --debug). No command's arguments are parsed here.
import { isSpiceError, SpiceError } from '../protocol/wire/errors.ts';
import { commandHelp, generalHelp } from './commands/args/help.ts';
import type { CommandContext } from './commands/args/option-spec.ts';
import { parseCommandLine } from './commands/args/parse-command-line.ts';
import { commands, commandTable } from './commands/table.ts';
import { SPICEDESK_VERSION } from './connect/version-check.ts';
import { ExitCode, exitCodeFor } from './node/exit-codes.ts';
import { createLogger } from './node/logging.ts';

export async function main(argv: string[]): Promise<number> {
  // Before parsing, so that a usage error is traced too.
  const debug = argv.includes('--debug');
  try {
    const [name, ...rest] = argv;
    if (!name || name === '-h' || name === '--help' || name === 'help') {
      process.stdout.write(generalHelp(commands) + '\n');
      return name ? ExitCode.OK : ExitCode.USAGE;
    }
    if (name === '--version') {
      process.stdout.write(`spicedesk ${SPICEDESK_VERSION}\n`);
      return ExitCode.OK;
    }
    const command = commandTable.get(name);
    if (!command) throw new SpiceError('usage', `unknown command "${name}"; run spicedesk --help`);
    const parsed = parseCommandLine(command, rest);
    if (parsed.help) {
      process.stdout.write(commandHelp(command) + '\n');
      return ExitCode.OK;
    }
    const { verbose } = parsed.input.values;
    const context: CommandContext = {
      warn: (line) => void process.stderr.write(`spicedesk: warning: ${line}\n`),
      out: (text) => void process.stdout.write(text),
      fail: (line) => void process.stderr.write(`spicedesk: ${line}\n`),
      logger: () => createLogger(parsed.input.values.debug ? 'debug' : verbose ? 'info' : 'silent'),
    };
    return await command.run(parsed.input, context);
  } catch (e) {
    return report(e, debug);
  }
}

function report(e: unknown, debug: boolean): number {
  if (isSpiceError(e)) {
    process.stderr.write(`spicedesk: ${e.message}\n`);
    if (debug && e.stack) process.stderr.write(e.stack + '\n');
    return exitCodeFor(e.kind);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`spicedesk: unexpected error: ${err.message}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && err.stack) process.stderr.write(err.stack + '\n');
  return ExitCode.OTHER;
}

/** How long the exit waits for a reader of stdout or stderr that does not read. */
const FLUSH_LIMIT_MS = 5000;

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Sockets of a finished session must not keep the process alive, but what is still queued for
  // stdout and stderr (a pipe) must get out first: the last line is the one that says what happened.
  let pending = 2;
  const flushed = (): void => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
  setTimeout(() => process.exit(code), FLUSH_LIMIT_MS);
});
