// The Electron app's monitor mappings: --monitor-mapping as `spicedesk open` hands it over (already
// validated there; a bad one given to the app directly is reported and ignored, since the app has
// no terminal to exit to), and the per-VM settings file.
import { MonitorMappingSource } from './session-mapping.ts';
import { monitorMappingFromArgv } from './mapping-option.ts';
import { SettingsStore, settingsDir } from './settings-store.ts';

export function monitorMappingsOf(argv: readonly string[], warn: (line: string) => void): MonitorMappingSource {
  const given = monitorMappingFromArgv(argv);
  if (given && 'error' in given) warn(`${given.error}; ignored`);
  return new MonitorMappingSource(given && !('error' in given) ? given : undefined, new SettingsStore(settingsDir(), { warn }));
}
