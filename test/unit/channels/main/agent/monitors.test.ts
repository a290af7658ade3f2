import { describe, expect, it } from 'vitest';
import { AgentCap, AgentMsg, parseMonitorsConfig } from '../../../../../src/protocol/channels/main/agent/agent-messages.ts';
import { AgentMonitors, displayConfigFromProfile, monitorsConfigFor } from '../../../../../src/protocol/channels/main/agent/monitors.ts';
import { fakeLink } from './fake-link.ts';
import { drainQueuedWork } from '../../../../helpers/wait.ts';

describe('monitor layouts', () => {
  it('places heads without positions side by side, with USE_POS and no physical sizes', () => {
    const c = monitorsConfigFor([{ width: 800, height: 600 }, { width: 1024, height: 768 }], false);
    expect(c.flags).toBe(1);
    expect(c.monitors.map((m) => [m.width, m.height, m.x, m.y, m.depth])).toEqual([[800, 600, 0, 0, 32], [1024, 768, 800, 0, 32]]);
  });

  it('keeps slots of disabled heads as 0x0 for a sparse agent and drops them otherwise', () => {
    const heads = [{ width: 640, height: 480 }, null, { width: 800, height: 600, x: 10, y: 20 }];
    expect(monitorsConfigFor(heads, true).monitors.map((m) => `${m.width}x${m.height}+${m.x}+${m.y}`)).toEqual(['640x480+0+0', '0x0+0+0', '800x600+10+20']);
    expect(monitorsConfigFor(heads, false).monitors.map((m) => `${m.width}x${m.height}`)).toEqual(['640x480', '800x600']);
  });

  it('adds the physical size flag only when a size is known', () => {
    expect(monitorsConfigFor([{ width: 1, height: 1, widthMm: 300, heightMm: 200 }], false).flags).toBe(3);
  });

  it('refuses empty, all-disabled and absurd layouts', () => {
    expect(() => monitorsConfigFor([], false)).toThrow(/1 to 16 heads/);
    expect(() => monitorsConfigFor([null], false)).toThrow(/at least one enabled/);
    expect(() => monitorsConfigFor([{ width: 0, height: 5 }], false)).toThrow(/width must be/);
  });

  it('sends MONITORS_CONFIG, debounced to the last of a burst', async () => {
    const link = fakeLink([AgentCap.MONITORS_CONFIG]);
    const m = new AgentMonitors(link);
    const all = [800, 900, 1000].map((w) => m.configureDebounced([{ width: w, height: 600 }], 5));
    await Promise.all(all);
    expect(link.sent).toHaveLength(1);
    expect(link.sent[0].type).toBe(AgentMsg.MONITORS_CONFIG);
    expect(parseMonitorsConfig(link.sent[0].body).monitors[0].width).toBe(1000);
  });

  it('needs an agent with the MONITORS_CONFIG capability', async () => {
    await expect(new AgentMonitors(fakeLink([])).configure([{ width: 8, height: 8 }])).rejects.toThrow(/cannot set the guest resolution/);
  });

  it('DISPLAY_CONFIG from the .vv keys, sent once to an agent that takes it', async () => {
    expect(displayConfigFromProfile({})).toBeNull();
    expect(displayConfigFromProfile({ colorDepth: 16, disableEffects: ['wallpaper', 'animation'] })).toEqual({ flags: 1 | 4 | 8, depth: 16 });
    const link = fakeLink([AgentCap.DISPLAY_CONFIG]);
    const m = new AgentMonitors(link);
    m.setDisplayConfig({ flags: 2, depth: 0 });
    m.sendDisplayConfigIfReady();
    await drainQueuedWork();
    expect(link.sent.map((s) => [s.type, Buffer.from(s.body).toString('hex')])).toEqual([[AgentMsg.DISPLAY_CONFIG, '0200000000000000']]);
  });
});
