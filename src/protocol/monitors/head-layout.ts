// The guest monitor layout wanted from the views of one session: every enabled head at the size of
// its view (resize-to-fit), placed side by side from the left in head order, or where the client
// monitors that the mapping gives them are (the Electron windows, fullscreen on their monitors),
// moved so that the top-left head is at 0,0 as the guest expects.
import type { HeadRequest } from '../channels/main/agent/monitors.ts';
import type { Head } from '../channels/display/display-messages.ts';

export interface HeadWish {
  width: number;
  height: number;
  /** Where the head's client monitor is in the client's desktop, when known. */
  monitorX?: number;
  monitorY?: number;
}

/**
 * The MONITORS_CONFIG layout for `wishes` (index = head; null = disabled). Positions come from the
 * client monitors when every enabled head has one, else side by side; trailing disabled heads are
 * dropped (the agent treats a missing head as disabled).
 */
export function headLayout(wishes: readonly (HeadWish | null)[]): (HeadRequest | null)[] {
  let last = wishes.length - 1;
  while (last >= 0 && !wishes[last]) last--;
  const heads = wishes.slice(0, last + 1);
  const placed = heads.length > 0 && heads.every((h) => !h || (h.monitorX !== undefined && h.monitorY !== undefined));
  if (!placed) {
    let x = 0;
    return heads.map((h) => {
      if (!h) return null;
      const out = { width: h.width, height: h.height, x, y: 0 };
      x += h.width;
      return out;
    });
  }
  const enabled = heads.filter((h): h is HeadWish => h !== null);
  const minX = Math.min(...enabled.map((h) => h.monitorX ?? 0));
  const minY = Math.min(...enabled.map((h) => h.monitorY ?? 0));
  return heads.map((h) => (h ? { width: h.width, height: h.height, x: (h.monitorX ?? 0) - minX, y: (h.monitorY ?? 0) - minY } : null));
}

/** A guest head as a view shows it: its rectangle on its display channel's primary surface. */
export interface GuestHead {
  head: number;
  channelId: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The heads of one display channel's MONITORS_CONFIG that a view can show: enabled (non-empty),
 * below `maxHeads`, sorted; later duplicates are dropped. Heads are numbered as spice-gtk numbers
 * monitors: channel id plus monitor id (one channel with several heads, as Xspice and a QXL with
 * max_outputs have, or one channel per head, as QEMU with one QXL device per head has).
 */
export function guestHeadsOf(channelId: number, heads: readonly Head[], maxHeads: number): GuestHead[] {
  const seen = new Set<number>();
  const out: GuestHead[] = [];
  for (const h of heads) {
    const head = channelId + h.monitorId;
    if (h.width === 0 || h.height === 0 || head >= maxHeads || seen.has(head)) continue;
    seen.add(head);
    out.push({ head, channelId, x: h.x, y: h.y, width: h.width, height: h.height });
  }
  return out.sort((a, b) => a.head - b.head);
}
