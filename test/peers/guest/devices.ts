// Named device sets for the guest: what QEMU adds, which kernel modules and tools the guest
// needs for it, and what its init does once they are loaded. The USB (#14) and folder-sharing
// (#15) tests add their entries here (`usb`, `webdav`) without touching the rest of the peer.
import type { QemuOptions } from '../qemu.ts';
import type { GuestTool } from './image.ts';

export interface GuestDeviceSet {
  /** QEMU options this set turns on (merged over the caller's). */
  qemu: Partial<QemuOptions>;
  /** Kernel modules in the order they must load; each brings its own dependencies first. */
  modules: readonly string[];
  tools: readonly GuestTool[];
  /** Shell lines /init runs after the modules load (before the test's own initScript). */
  initScript?: string;
}

export const GUEST_DEVICES = {
  /**
   * intel-hda + hda-duplex on a spice audiodev: the playback and record channels. The generic
   * codec driver must be loaded BEFORE snd-hda-intel: snd-hda-intel binds the codec while it
   * probes, and the guest has no modprobe to fetch the codec driver then. ALSA starts with every control at 0 and
   * muted; Master and Capture go to 100 % so that a test hears what it plays.
   */
  audio: {
    qemu: { audio: true },
    modules: ['snd-hda-codec-generic', 'snd-hda-intel'],
    tools: ['aplay', 'arecord', 'amixer'],
    initScript: 'amixer -q -c0 sset Master 100% unmute\namixer -q -c0 sset Capture 100% cap\n',
  },
  /**
   * USB redirection: qemu-xhci and two usb-redir slots on spicevmc chardevs (QemuOptions.usbredir;
   * two spicedesk usbredir channels), and the guest's xHCI, HID and input drivers (what
   * /work/shared/docs/devices.md 0.3 proved on these machines), usb-storage with sd_mod for the
   * simulated disk, and cdrom, sr_mod and isofs for the shared CD (/dev/sr0, mount -t iso9660).
   */
  usb: {
    qemu: { usbredir: 2 },
    modules: ['xhci-pci', 'usbhid', 'hid-generic', 'evdev', 'usb-storage', 'sd_mod', 'cdrom', 'sr_mod', 'isofs'],
    tools: [],
    initScript: '',
  },
} satisfies Record<string, GuestDeviceSet>;

export type GuestDeviceName = keyof typeof GUEST_DEVICES;
