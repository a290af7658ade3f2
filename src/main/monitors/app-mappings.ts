// The Electron app's monitor mappings: --monitor-mapping as `spicedesk open` hands it over (already
// validated there; a bad one given to the app directly is reported and ignored, since the app has
// no terminal to exit to), and the per-VM settings file (the app's one SettingsStore, shared with
// the link hosts it remembers, so that neither writes over the other's change).
import { MonitorMappingSource } from './session-mapping.ts';
import { monitorMappingFromArgv } from './mapping-option.ts';
import { SettingsStore, settingsDir } from './settings-store.ts';

/** The app's settings.json, read once: every user of it in the app takes this one store. */
export function appSettingsStore(warn: (line: string) => void): SettingsStore {
  return new SettingsStore(settingsDir(), { warn });
}

export function monitorMappingsOf(argv: readonly string[], warn: (line: string) => void, store: SettingsStore = appSettingsStore(warn)): MonitorMappingSource {
  const given = monitorMappingFromArgv(argv);
  if (given && 'error' in given) warn(`${given.error}; ignored`);
  return new MonitorMappingSource(given && !('error' in given) ? given : undefined, store);
}
