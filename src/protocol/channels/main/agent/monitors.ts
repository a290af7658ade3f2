// The guest's monitor layout from the client (MONITORS_CONFIG) and the guest's display tuning
// from the connection profile (DISPLAY_CONFIG). The agent applies a layout by changing the
// guest's modes; spice-server may instead hand it to a QXL device that supports it.
import type { GuestEffect } from '../../../profile/types.ts';
import { SpiceError } from '../../../wire/errors.ts';
import {
  AgentCap,
  AgentMsg,
  buildDisplayConfig,
  buildMonitorsConfig,
  DisplayConfigFlag,
  MonitorsConfigFlag,
  type AgentMonitor,
  type DisplayConfig,
} from './agent-messages.ts';
import type { AgentLink } from './agent-transport.ts';

/** One guest head as the client wants it; null (or enabled false) for a head switched off. */
export interface HeadRequest {
  width: number;
  height: number;
  /** Position in the guest's desktop; heads without one are placed left to right. */
  x?: number;
  y?: number;
  /** Physical size, so that the guest can pick its scaling. */
  widthMm?: number;
  heightMm?: number;
}

/** More heads than any SPICE server drives (spice-gtk keeps 16 slots). */
export const MAX_HEADS = 16;
/** The colour depth sent for every head, as spice-gtk does. */
const HEAD_DEPTH = 32;
/** Guest modes are limited by the QXL device; anything larger is certainly a mistake. */
const MAX_HEAD_SIDE = 16384;

/**
 * The MONITORS_CONFIG body fields for `heads`: every slot with a SPARSE-capable agent (a
 * switched-off head as 0x0), otherwise the enabled heads only. Heads without a position are put
 * side by side after the ones to their left.
 */
export function monitorsConfigFor(heads: readonly (HeadRequest | null)[], sparse: boolean): { flags: number; monitors: AgentMonitor[] } {
  if (heads.length === 0 || heads.length > MAX_HEADS) throw new SpiceError('usage', `a monitor layout needs 1 to ${MAX_HEADS} heads, got ${heads.length}`);
  if (!heads.some((h) => h)) throw new SpiceError('usage', 'a monitor layout needs at least one enabled head');
  let nextX = 0;
  const monitors: (AgentMonitor | null)[] = heads.map((h, i) => {
    if (!h) return null;
    for (const [what, v] of [['width', h.width], ['height', h.height]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > MAX_HEAD_SIDE) throw new SpiceError('usage', `head ${i}: ${what} must be a whole number from 1 to ${MAX_HEAD_SIDE}, got ${v}`);
    }
    const x = h.x ?? nextX;
    const y = h.y ?? 0;
    nextX = x + h.width;
    return { width: h.width, height: h.height, depth: HEAD_DEPTH, x, y, widthMm: h.widthMm ?? 0, heightMm: h.heightMm ?? 0 };
  });
  const off: AgentMonitor = { width: 0, height: 0, depth: HEAD_DEPTH, x: 0, y: 0, widthMm: 0, heightMm: 0 };
  const list = sparse ? monitors.map((m) => m ?? off) : monitors.filter((m): m is AgentMonitor => m !== null);
  // Physical sizes only when there are some: spice-vdagentd (0.22) checks the message size
  // against the monitor list alone and drops a layout that carries them.
  const physical = list.some((m) => m.widthMm || m.heightMm);
  return { flags: MonitorsConfigFlag.USE_POS | (physical ? MonitorsConfigFlag.PHYSICAL_SIZE : 0), monitors: list };
}

/** DISPLAY_CONFIG from the `.vv` keys color-depth and disable-effects; null when neither is set. */
export function displayConfigFromProfile(p: { colorDepth?: number; disableEffects?: readonly GuestEffect[] }): DisplayConfig | null {
  let flags = 0;
  const effects = p.disableEffects ?? [];
  if (effects.includes('wallpaper')) flags |= DisplayConfigFlag.DISABLE_WALLPAPER;
  if (effects.includes('font-smooth')) flags |= DisplayConfigFlag.DISABLE_FONT_SMOOTH;
  if (effects.includes('animation')) flags |= DisplayConfigFlag.DISABLE_ANIMATION;
  if (p.colorDepth) flags |= DisplayConfigFlag.SET_COLOR_DEPTH;
  return flags === 0 ? null : { flags, depth: p.colorDepth ?? 0 };
}

export class AgentMonitors {
  private displayConfig: DisplayConfig | null = null;
  private displayConfigSent = false;
  private debounceTimer: ReturnType<typeof setTimeout> | null = null;
  private debounced: { heads: readonly (HeadRequest | null)[]; resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(private readonly link: AgentLink) {}

  /** Sends the layout now. Needs an agent that announced its capabilities. */
  async configure(heads: readonly (HeadRequest | null)[]): Promise<void> {
    const caps = this.link.peerCaps;
    if (!this.link.connected || !caps) throw new SpiceError('protocol', 'the guest resolution cannot be set: no guest agent is connected');
    if (!caps.has(AgentCap.MONITORS_CONFIG)) throw new SpiceError('protocol', 'the guest agent cannot set the guest resolution (no MONITORS_CONFIG capability)');
    const config = monitorsConfigFor(heads, caps.has(AgentCap.SPARSE_MONITORS_CONFIG));
    this.link.log.info({ monitors: config.monitors.map((m) => `${m.width}x${m.height}+${m.x}+${m.y}`) }, 'sending the monitor layout to the guest');
    await this.link.send(AgentMsg.MONITORS_CONFIG, buildMonitorsConfig(config));
  }

  /**
   * Sends the layout once `ms` passed without another call: a window being resized asks for
   * many sizes, and the guest should change mode once, for the last.
   */
  configureDebounced(heads: readonly (HeadRequest | null)[], ms: number): Promise<void> {
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
    return new Promise<void>((resolve, reject) => {
      this.debounced.push({ heads, resolve, reject });
      this.debounceTimer = setTimeout(() => {
        this.debounceTimer = null;
        const waiting = this.debounced.splice(0);
        const last = waiting[waiting.length - 1];
        this.configure(last.heads).then(
          () => waiting.forEach((w) => w.resolve()),
          (e: Error) => waiting.forEach((w) => w.reject(e)),
        );
      }, ms);
    });
  }

  /** Kept until the agent can take it, then sent once per agent connection. */
  setDisplayConfig(config: DisplayConfig | null): void {
    this.displayConfig = config;
    this.displayConfigSent = false;
    this.sendDisplayConfigIfReady();
  }

  /** Called when the agent announced its capabilities. */
  sendDisplayConfigIfReady(): void {
    const config = this.displayConfig;
    if (!config || this.displayConfigSent || !this.link.connected || !this.link.peerCaps?.has(AgentCap.DISPLAY_CONFIG)) return;
    this.displayConfigSent = true;
    this.link.send(AgentMsg.DISPLAY_CONFIG, buildDisplayConfig(config)).catch(() => (this.displayConfigSent = false));
  }

  reset(why: string): void {
    this.displayConfigSent = false;
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
    this.debounceTimer = null;
    for (const w of this.debounced.splice(0)) w.reject(new SpiceError('protocol', `the monitor layout was not sent: ${why}`));
  }
}
