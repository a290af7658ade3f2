import { describe, expect, it } from 'vitest';
import { applyWindowSwitches, WINDOW_FEATURES, type CommandLineSwitches } from '../../../../src/main/electron/chromium-switches.ts';

/** Chromium's CommandLine as Electron's app.commandLine shows it: a switch given again replaces its value. */
function commandLine(given: Record<string, string> = {}): CommandLineSwitches & { switches: Map<string, string> } {
  const switches = new Map(Object.entries(given));
  return {
    switches,
    appendSwitch: (name, value) => void switches.set(name, value ?? ''),
    hasSwitch: (name) => switches.has(name),
    getSwitchValue: (name) => switches.get(name) ?? '',
  };
}

describe('applyWindowSwitches', () => {
  it('sets the network service in process, and nothing else', () => {
    const c = commandLine();
    applyWindowSwitches(c);
    expect([...c.switches]).toEqual([['enable-features', 'NetworkServiceInProcess2']]);
    expect(WINDOW_FEATURES).toEqual(['NetworkServiceInProcess2']);
  });

  it('adds its features to the ones the app was started with, without repeating one', () => {
    const c = commandLine({ 'enable-features': 'WebRTCPipeWireCapturer,NetworkServiceInProcess2' });
    applyWindowSwitches(c);
    expect(c.switches.get('enable-features')).toBe('WebRTCPipeWireCapturer,NetworkServiceInProcess2');
    const d = commandLine({ 'enable-features': 'UseOzonePlatform' });
    applyWindowSwitches(d);
    expect(d.switches.get('enable-features')).toBe('UseOzonePlatform,NetworkServiceInProcess2');
  });

  it('leaves the other switches the app was started with as they are', () => {
    const c = commandLine({ 'in-process-gpu': '', 'js-flags': '--max-old-space-size=512' });
    applyWindowSwitches(c);
    expect(c.switches).toEqual(new Map([['in-process-gpu', ''], ['js-flags', '--max-old-space-size=512'], ['enable-features', 'NetworkServiceInProcess2']]));
  });
});
