// Chromium switches the app sets for its windows, before 'ready' (issue 16: the memory of a live
// session). Each was measured on Debian's Chromium (the bench's browser, with the interactive bench's
// live scene: bench/README.md, interactive), not on Electron, which cannot run on the machines
// the benches run on; they are Chromium's own switches, which Electron passes on.
// - in-process-gpu: the GPU service runs as a thread of the browser process instead of a process
//   of its own, which holds about 50 MiB of PSS on its own for a window that uses the GPU only to
//   present one canvas. The cost: a GPU driver crash ends the app instead of restarting the GPU
//   process (a session window reconnects nothing on its own either way).
// - NetworkServiceInProcess2: the network service in the browser process instead of a utility
//   process (about 25 MiB of PSS). The window loads its page from memory through the app's scheme
//   and talks to its session over a MessagePort: it makes no network request of its own.

/** The part of Electron's `app.commandLine` this uses. */
export interface CommandLineSwitches {
  appendSwitch(name: string, value?: string): void;
  hasSwitch(name: string): boolean;
  getSwitchValue(name: string): string;
}

export const WINDOW_SWITCHES: readonly { name: string; value?: string }[] = [{ name: 'in-process-gpu' }];
/** Features turned on, added to any `--enable-features` list the app was started with. */
export const WINDOW_FEATURES: readonly string[] = ['NetworkServiceInProcess2'];

export function applyWindowSwitches(commandLine: CommandLineSwitches): void {
  for (const s of WINDOW_SWITCHES) if (!commandLine.hasSwitch(s.name)) commandLine.appendSwitch(s.name, s.value);
  const given = commandLine.hasSwitch('enable-features') ? commandLine.getSwitchValue('enable-features').split(',').filter((f) => f !== '') : [];
  const features = [...given, ...WINDOW_FEATURES.filter((f) => !given.includes(f))];
  commandLine.appendSwitch('enable-features', features.join(','));
}
