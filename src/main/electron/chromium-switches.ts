// Chromium switches the app sets for its windows, before 'ready' (issue 16: the memory of a live
// session). Each was measured on Debian's Chromium (the bench's browser, on the interactive bench's
// live scene: bench/README.md, interactive), not on Electron, which cannot run on the machines the
// benches run on; they are Chromium's own switches, which Electron passes on.
// - NetworkServiceInProcess2: the network service runs in the browser process instead of a utility
//   process of its own: 14-16 MiB less private memory (USS) and 17 MiB less PSS for the session,
//   at the same CPU. The window loads its page from memory through the app's scheme and talks to
//   its session over a MessagePort: it makes no network request of its own.
// Measured and not set: --in-process-gpu (the GPU process's 21 MiB of private memory reappear in
// the browser process, about 20 MiB more there: no private memory saved, and a GPU driver crash
// would end the app instead of restarting a GPU process); --js-flags=--max-semi-space-size=1 (the
// page's renderer 8 MiB smaller, for more scavenges in the decode worker, which allocates per
// display message); disabling the spare renderer and the out-of-process audio service (no change).

/** The part of Electron's `app.commandLine` this uses. */
export interface CommandLineSwitches {
  appendSwitch(name: string, value?: string): void;
  hasSwitch(name: string): boolean;
  getSwitchValue(name: string): string;
}

/** Features turned on, added to any `--enable-features` list the app was started with. */
export const WINDOW_FEATURES: readonly string[] = ['NetworkServiceInProcess2'];

export function applyWindowSwitches(commandLine: CommandLineSwitches): void {
  // A switch appended again replaces the value Chromium had: the list given at start-up is kept in it.
  const given = commandLine.hasSwitch('enable-features') ? commandLine.getSwitchValue('enable-features').split(',').filter((f) => f !== '') : [];
  const features = [...given, ...WINDOW_FEATURES.filter((f) => !given.includes(f))];
  commandLine.appendSwitch('enable-features', features.join(','));
}
