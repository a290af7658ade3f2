// Which monitor mapping a session uses, once its main channel has said which VM it is (the UUID):
// the one given on the command line, remembered for that VM; else the one remembered for it (or
// the settings' fallback entry); else none, and the heads go one per monitor in order.
import type { Logger } from '../../protocol/logger.ts';
import { formatMonitorMapping, type MonitorMapping } from '../../protocol/monitors/monitor-mapping.ts';
import { normalizeUuid, type SettingsStore } from './settings-store.ts';

export type MappingSource = 'given' | 'remembered' | 'none';

export interface SessionMapping {
  mapping: MonitorMapping | null;
  source: MappingSource;
}

/**
 * A UUID that names a VM. spice-server sends none unless it was given one (Xspice never is), and
 * QEMU without -uuid sends all zeros, which every such VM shares: remembering a mapping under it
 * would hand one VM's mapping to all the others.
 */
export function vmUuidOf(uuid: string | undefined): string | null {
  if (uuid === undefined) return null;
  const key = normalizeUuid(uuid);
  return key && /[1-9a-f]/.test(key) ? key : null;
}

/** One per command (`serve`, `open`): the given mapping and where mappings are remembered. */
export class MonitorMappingSource {
  constructor(
    readonly given: MonitorMapping | undefined,
    private readonly store: SettingsStore | null,
  ) {}

  /** The mapping for a session with this VM (its UUID and name as the main channel gave them). */
  forSession(uuid: string | undefined, name: string | undefined, log: Logger): SessionMapping {
    const vm = vmUuidOf(uuid);
    if (this.given) {
      if (!vm) log.info({ mapping: formatMonitorMapping(this.given) }, 'the server sent no VM UUID: the monitor mapping is used but not remembered');
      else if (this.store?.rememberMonitorMapping(vm, this.given, name)) log.info({ uuid: vm, mapping: formatMonitorMapping(this.given) }, 'monitor mapping remembered for this VM');
      return { mapping: this.given, source: 'given' };
    }
    const remembered = vm ? (this.store?.monitorMapping(vm) ?? null) : null;
    if (remembered) {
      log.info({ uuid: vm, mapping: formatMonitorMapping(remembered) }, 'using the monitor mapping remembered for this VM');
      return { mapping: remembered, source: 'remembered' };
    }
    return { mapping: null, source: 'none' };
  }
}
