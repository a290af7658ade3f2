// Every command of `spicedesk`, one definition each, in the order of the help. A new command is a
// new file exporting its CommandDefinition, and one line here.
import type { CommandDefinition } from './args/option-spec.ts';
import { captureCommand } from './capture-command.ts';
import { consoleCommand } from './console-command.ts';
import { demoCommand } from './demo-command.ts';
import { doCommand } from './do/do-command.ts';
import { infoCommand } from './info-command.ts';
import { openCommand } from './open-command.ts';
import { serveCommand } from './serve-command.ts';
import { usbCommand } from './usb-command.ts';

export const commands: readonly CommandDefinition[] = [captureCommand, infoCommand, demoCommand, doCommand, openCommand, serveCommand, consoleCommand, usbCommand];

/** The commands by name; a name given twice is a programming error, found when this loads. */
export function commandsByName(list: readonly CommandDefinition[]): ReadonlyMap<string, CommandDefinition> {
  const byName = new Map<string, CommandDefinition>();
  for (const command of list) {
    if (byName.has(command.name)) throw new Error(`two commands are named ${command.name}`);
    byName.set(command.name, command);
  }
  return byName;
}

export const commandTable = commandsByName(commands);
