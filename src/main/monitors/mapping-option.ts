// `--monitor-mapping MAP` of `open` and `serve`: which client monitor shows which guest head, in
// virt-viewer's notation. Validated here (a usage error, exit 2, naming what is wrong); the
// session remembers it for the VM's UUID (session-mapping.ts).
import { formatMonitorMapping, parseMonitorMapping, type MonitorMapping } from '../../protocol/monitors/monitor-mapping.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';

export const MONITOR_MAPPING_OPTION = '--monitor-mapping';

export const MONITOR_MAPPING_USAGE = `  --monitor-mapping MAP
      which client monitor shows which guest head, as remote-viewer's monitor-mapping:
      GUEST-HEAD:CLIENT-MONITOR pairs from 1, such as 1:2;2:1 (quote the ;). Remembered for
      the VM's UUID (in the settings folder: ~/.config/spicedesk, %APPDATA%\\spicedesk or
      ~/Library/Application Support/spicedesk) and used again when not given. Applied in the
      Electron window and, where the browser allows window placement, in the page`;

/**
 * Takes `--monitor-mapping MAP` (or `--monitor-mapping=MAP`) out of `args`, in place, and returns
 * the mapping; undefined when it is not there. Arguments after `--` are left alone.
 */
export function takeMonitorMappingOption(args: string[]): MonitorMapping | undefined {
  let mapping: MonitorMapping | undefined;
  for (let i = 0; i < args.length; ) {
    const a = args[i];
    if (a === '--') break;
    if (a === MONITOR_MAPPING_OPTION || a.startsWith(`${MONITOR_MAPPING_OPTION}=`)) {
      const inline = a.startsWith(`${MONITOR_MAPPING_OPTION}=`);
      const value = inline ? a.slice(MONITOR_MAPPING_OPTION.length + 1) : args[i + 1];
      if (value === undefined || (!inline && value.startsWith('-'))) throw new SpiceError('usage', `${MONITOR_MAPPING_OPTION} needs a value such as 1:2;2:1`);
      if (mapping) throw new SpiceError('usage', `${MONITOR_MAPPING_OPTION} was given more than once`);
      try {
        mapping = parseMonitorMapping(value);
      } catch (e) {
        throw new SpiceError('usage', `${MONITOR_MAPPING_OPTION}: ${(e as Error).message}`);
      }
      args.splice(i, inline ? 1 : 2);
      continue;
    }
    i++;
  }
  return mapping;
}

/** The option as one argument, the form the Electron app is handed (its TARGET parser skips switches). */
export function monitorMappingArg(mapping: MonitorMapping): string {
  return `${MONITOR_MAPPING_OPTION}=${formatMonitorMapping(mapping)}`;
}

/**
 * The mapping on an Electron command line (`--monitor-mapping=MAP`, as `spicedesk open` hands
 * it over); undefined without one, a sentence when it is not valid.
 */
export function monitorMappingFromArgv(argv: readonly string[]): MonitorMapping | undefined | { error: string } {
  const prefix = `${MONITOR_MAPPING_OPTION}=`;
  const given = argv.filter((a) => a.startsWith(prefix));
  if (given.length === 0) return undefined;
  if (given.length > 1) return { error: `${MONITOR_MAPPING_OPTION} was given more than once` };
  try {
    return parseMonitorMapping(given[0].slice(prefix.length));
  } catch (e) {
    return { error: `${MONITOR_MAPPING_OPTION}: ${(e as Error).message}` };
  }
}
