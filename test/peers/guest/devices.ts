// Named device sets for the guest: what QEMU adds, which kernel modules and tools the guest
// needs for it, and what its init does once they are loaded. The USB (#14) and folder-sharing
// (#15) tests add their entries here (`usb`, `webdav`) without touching the rest of the peer.
import type { QemuOptions } from '../qemu.ts';
import type { GuestTool } from './image.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { noAvahiShim } from './noavahi.ts';

/** The guest's print backend as spicedesk ships it (resources/guest/spicedesk-print). */
export const GUEST_PRINT_BACKEND = '/usr/lib/cups/backend/spicedesk-print';
const PRINT_BACKEND_SOURCE = fileURLToPath(new URL('../../../resources/guest/spicedesk-print', import.meta.url));

/** The port the guest's spice-webdavd serves the shared folder on (its systemd unit's). */
export const GUEST_WEBDAV_PORT = 9843;

export interface GuestDeviceSet {
  /** QEMU options this set turns on (merged over the caller's). */
  qemu: Partial<QemuOptions>;
  /** Kernel modules in the order they must load; each brings its own dependencies first. */
  modules: readonly string[];
  tools: readonly GuestTool[];
  /** Shell lines /init runs after the modules load (before the test's own initScript). */
  initScript?: string;
  /** Files the set adds (guest path -> bytes), made when an image is asked for (a compiled shim). */
  files?: () => Record<string, Uint8Array | string>;
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
    // snd-hda-intel probes its codec in the background after modprobe returns: on a loaded machine
    // the mixer's controls came later than the first amixer, which failed, and the guest stayed at
    // ALSA's muted 0 % (a full run's page heard nothing). So each setting is tried until the
    // control is there (up to 15 s), and a failure is said on the console.
    // The codec's power saving goes off (1 s by default): while the codec sleeps, the driver
    // keeps a mixer change in its register cache and writes it at the next stream, so QEMU (and
    // the client, as record or playback VOLUME) saw an amixer change only at the next arecord or
    // aplay (a full run timed out waiting for Capture 50 %'s VOLUME).
    initScript: [
      'echo 0 > /sys/module/snd_hda_intel/parameters/power_save || echo "spicedesk guest: cannot turn the HDA power saving off"',
      "for setting in 'Master 100% unmute' 'Capture 100% cap'; do",
      '  i=0',
      '  until amixer -q -c0 sset $setting 2>/dev/null; do',
      '    i=$((i+1)); if [ $i -ge 150 ]; then echo "spicedesk guest: amixer sset $setting failed"; break; fi',
      '    usleep 100000',
      '  done',
      'done',
      '',
    ].join('\n'),
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
  /**
   * Folder sharing: QEMU's virtio-serial port org.spice-space.webdav.0 on a spiceport chardev (the
   * webdav channel), spice-webdavd on 127.0.0.1:${GUEST_WEBDAV_PORT} muxing each TCP connection
   * onto it, and curl to speak WebDAV to it (busybox wget does GET only). busybox's mdev does not
   * make /dev/virtio-ports/<name>, which spice-webdavd opens: init links them from sysfs. The
   * daemon needs the loopback interface up and, without Avahi, the noavahi shim. Its log is
   * /tmp/webdavd.log.
   */
  webdav: {
    qemu: { webdav: true },
    modules: ['virtio_pci', 'virtio_console'],
    tools: [{ name: '/usr/sbin/spice-webdavd', debianPackage: 'spice-webdavd' }, { name: 'curl', debianPackage: 'curl' }],
    files: () => ({ '/lib/noavahi.so': noAvahiShim() }),
    initScript: [
      'ip link set lo up',
      'mkdir -p /dev/virtio-ports',
      'for port in /sys/class/virtio-ports/*; do ln -sf /dev/${port##*/} /dev/virtio-ports/$(cat $port/name); done',
      `LD_PRELOAD=/lib/noavahi.so spice-webdavd -p ${GUEST_WEBDAV_PORT} >/tmp/webdavd.log 2>&1 &`,
      '',
    ].join('\n'),
  },
  /**
   * Printing: the virtio-serial port org.spicedesk.print.0 on a spiceport chardev (a port channel)
   * and the shipped backend at GUEST_PRINT_BACKEND, run directly by the test (the guest has no
   * CUPS; the backend takes a file and writes the job into /dev/virtio-ports/org.spicedesk.print.0).
   */
  print: {
    qemu: { printPort: true },
    modules: ['virtio_pci', 'virtio_console'],
    tools: [],
    files: () => ({ [GUEST_PRINT_BACKEND]: readFileSync(PRINT_BACKEND_SOURCE, 'utf8') }),
    initScript: [
      'mkdir -p /dev/virtio-ports',
      'for port in /sys/class/virtio-ports/*; do ln -sf /dev/${port##*/} /dev/virtio-ports/$(cat $port/name); done',
      '',
    ].join('\n'),
  },
  /**
   * The VM's serial console on the SPICE port org.qemu.console.serial.0: the guest's third serial
   * port, ttyS2 (after the peer's console and file ports), raw and without echo. A background
   * `sleep` keeps it open, so that bytes arriving before a reader wait in its buffer (a closed
   * port's UART drops them).
   */
  'serial-console': {
    qemu: { serialConsolePort: true },
    modules: [],
    tools: [],
    initScript: 'stty -F /dev/ttyS2 raw -echo\nsleep 2147483647 </dev/ttyS2 >/dev/null 2>&1 &\n',
  },
} satisfies Record<string, GuestDeviceSet>;

export type GuestDeviceName = keyof typeof GUEST_DEVICES;
