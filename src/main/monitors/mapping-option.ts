// `--monitor-mapping MAP` of `open` and `serve`: which client monitor shows which guest head, in
// virt-viewer's notation. Validated here (a usage error, exit 2, naming what is wrong); the
// session remembers it for the VM's UUID (session-mapping.ts).
import { formatMonitorMapping, parseMonitorMapping, type MonitorMapping } from '../../protocol/monitors/monitor-mapping.ts';
import { SpiceError } from '../../protocol/wire/errors.ts';

export const MONITOR_MAPPING_OPTION = '--monitor-mapping';

/**
 * `--monitor-mapping`'s value, checked: a usage error naming what is wrong
 * (commands/args/shared-options.ts defines the option).
 */
export function parseMonitorMappingOption(value: string): MonitorMapping {
  try {
    return parseMonitorMapping(value);
  } catch (e) {
    throw new SpiceError('usage', `${MONITOR_MAPPING_OPTION}: ${(e as Error).message}`);
  }
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
