// `spicedesk --help` and `spicedesk <command> --help`, written from the command definitions: each
// command's synopsis and summary, the options several commands share (grouped by the commands
// that take them), and one command's own options with what each does.
import { optionTitle, type CommandDefinition, type OptionSpec } from './option-spec.ts';
import { everyCommandOptions } from './shared-options.ts';

const TARGET_TEXT = `TARGET is spice://HOST:PORT, spice://HOST?port=N&tls-port=M, spice+unix:///PATH, a .vv file,
or - to read a .vv file from standard input. The password comes from the target, from
SPICE_PASSWORD, or from a prompt when standard input is a terminal.`;

const EXIT_CODES = `exit codes: 0 ok, 1 other, 2 usage, 3 unreachable, 4 authentication, 5 TLS/security,
6 protocol, 7 timed out waiting for the display, 8 the screen did not match (do expect),
9 an agent action failed (do send, clip-get)`;

const NOT_YET = 'not yet implemented (see the README): the desktop window has not run in Electron yet.';

/** Words in lines of at most `width` characters (a longer word stands alone). */
export function wrapWords(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

export function indent(text: string, by: number): string {
  const pad = ' '.repeat(by);
  return text
    .split('\n')
    .map((line) => (line === '' ? '' : pad + line))
    .join('\n');
}

/** "PREFIXcapture TARGET ..." with the synopsis's later lines under its first word. */
function commandLine(prefix: string, command: CommandDefinition): string {
  const [first, ...more] = command.synopsis.split('\n');
  const head = `${prefix}${command.name} ${first}`.trimEnd();
  return [head, ...more.map((line) => ' '.repeat(prefix.length + command.name.length + 1) + line)].join('\n');
}

function optionEntry(spec: OptionSpec): string {
  return `  ${optionTitle(spec)}\n${indent(spec.help, 6)}`;
}

function everyCommandSection(): string {
  const lines = Object.values(everyCommandOptions).map((spec) => `  ${optionTitle(spec).padEnd(15)} ${spec.help}`);
  lines.push(`  ${'--version'.padEnd(15)} print the version`);
  return `options for every command:\n${lines.join('\n')}`;
}

/**
 * The options that more than one command takes, grouped by the set of commands that take them
 * (an option object is one definition, so identity tells them apart).
 */
function sharedOptionSections(commands: readonly CommandDefinition[]): string[] {
  const takers = new Map<OptionSpec, string[]>();
  for (const command of commands) {
    for (const spec of Object.values(command.options)) takers.set(spec, [...(takers.get(spec) ?? []), command.name]);
  }
  const groups = new Map<string, OptionSpec[]>();
  for (const [spec, names] of takers) {
    if (names.length < 2) continue;
    const key = names.join(', ');
    groups.set(key, [...(groups.get(key) ?? []), spec]);
  }
  return [...groups].map(([names, specs]) => `options of ${names}:\n${specs.map(optionEntry).join('\n')}`);
}

/** `spicedesk --help`: every command and the options they share. */
export function generalHelp(commands: readonly CommandDefinition[]): string {
  const entries = commands.map((c) => `${commandLine('  ', c)}\n${indent(c.summary, 6)}`);
  return [
    'usage: spicedesk <command> [options]      (spicedesk <command> --help: its options)',
    `commands:\n${entries.join('\n')}`,
    TARGET_TEXT,
    ...sharedOptionSections(commands),
    everyCommandSection(),
    `${NOT_YET}\n${EXIT_CODES}`,
  ].join('\n\n');
}

/** `spicedesk <command> --help`: its synopsis, summary and every option it takes. */
export function commandHelp(command: CommandDefinition): string {
  const own = Object.values(command.options);
  return [
    commandLine('usage: spicedesk ', command),
    indent(command.summary, 6),
    ...(own.length ? [`options:\n${own.map(optionEntry).join('\n')}`] : []),
    everyCommandSection(),
    TARGET_TEXT,
    EXIT_CODES,
  ].join('\n\n');
}
