// `spicedesk usb list`: the machine's USB devices (through the `usb` package, loaded only here),
// the HID devices the OS holds (through node-hid, ids `hid:PATH`, marked so) and what each filter
// says about each: the auto-redirect rules (default: everything but HID), the redirect-on-connect
// rules when given, and a VM's filter when given (`info` prints a VM's). A source that cannot
// work here (no USB subsystem, node-hid does not load) is said in a line; exits 0.
import { ExitCode } from '../node/exit-codes.ts';
import type { UsbDeviceDescription, UsbDeviceSource } from '../usb/device-source.ts';
import { machineHidSource } from '../usb/hid-device-source.ts';
import { UsbPackageSource } from '../usb/usb-device-source.ts';
import { usbRulesOption } from '../usb/usb-policy.ts';
import { DEFAULT_AUTO_REDIRECT_FILTER, deviceName, filterVerdict, isNodeHidDevice } from '../usb/usb-redirector.ts';
import { describeFilterVerdict, parseUsbredirFilter } from '../../protocol/usbredir/usbredir-filter.ts';
import { defineCommand, flag, usageError, valueOption, type OperandReader } from './args/option-spec.ts';
import { usbOptions } from './args/shared-options.ts';

const SUBCOMMANDS = ['list'] as const;

function subcommand(): OperandReader<'list'> {
  const words: string[] = [];
  return {
    take: (word) => void words.push(word),
    finish() {
      if (words.length !== 1 || !(SUBCOMMANDS as readonly string[]).includes(words[0])) {
        throw usageError(`usb takes one of: ${SUBCOMMANDS.join(', ')}${words.length ? `, got "${words.join(' ')}"` : ''}`);
      }
      return 'list';
    },
  };
}

export interface UsbListOptions {
  /** The machine's sources: the `usb` package's, node-hid's. */
  sources: readonly UsbDeviceSource[];
  autoRedirectFilter?: string;
  redirectOnConnect?: string;
  guestFilter?: string;
  json: boolean;
  out: (text: string) => void;
}

interface ListedDevice {
  id: string;
  vendorId: string;
  productId: string;
  name: string;
  /** How it would be redirected: the USB device itself (`usb`), or as HID through node-hid. */
  via: 'usb' | 'node-hid';
  interfaces: string[];
  autoRedirect: string;
  redirectOnConnect?: string;
  guestFilter?: string;
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

export async function runUsbList(o: UsbListOptions): Promise<number> {
  const notices: string[] = [];
  const devices: UsbDeviceDescription[] = [];
  for (const source of o.sources) {
    const off = source.events.on('unavailable', (m) => void notices.push(m));
    devices.push(...await source.list());
    off();
  }
  const verdict = (rules: string | undefined, d: UsbDeviceDescription): string | undefined =>
    rules === undefined ? undefined : describeFilterVerdict(filterVerdict(parseUsbredirFilter(rules), d));
  const listed: ListedDevice[] = devices.map((d) => ({
    id: d.id, vendorId: hex(d.vendorId, 4), productId: hex(d.productId, 4), name: deviceName(d), via: isNodeHidDevice(d) ? 'node-hid' : 'usb',
    interfaces: (d.interfaces ?? []).map((f) => `${hex(f.class, 2)}/${hex(f.subclass, 2)}/${hex(f.protocol, 2)}`),
    autoRedirect: verdict(o.autoRedirectFilter ?? DEFAULT_AUTO_REDIRECT_FILTER, d)!,
    redirectOnConnect: verdict(o.redirectOnConnect, d),
    guestFilter: verdict(o.guestFilter, d),
  }));
  if (o.json) {
    // `notice`: the first source's problem (the `usb` package's), kept for scripts that read it.
    o.out(JSON.stringify({ available: notices.length === 0, notice: notices[0] ?? null, notices, devices: listed }, null, 2) + '\n');
    return ExitCode.OK;
  }
  for (const notice of notices) o.out(`${notice}: no device from it to redirect\n`);
  if (listed.length === 0) {
    if (notices.length === 0) o.out('no USB devices\n');
    return ExitCode.OK;
  }
  for (const d of listed) {
    const filters = [`auto-redirect: ${d.via === 'node-hid' ? 'never (HID through node-hid goes in only when named: usb-attach ' + d.id + ')' : d.autoRedirect}`];
    if (d.redirectOnConnect) filters.push(`redirect-on-connect: ${d.via === 'node-hid' ? 'never' : d.redirectOnConnect}`);
    if (d.guestFilter) filters.push(`VM filter: ${d.guestFilter}`);
    const via = d.via === 'node-hid' ? '  HID through node-hid' : '';
    o.out(`${d.id.padEnd(10)} ${d.name}${via}  interfaces ${d.interfaces.join(' ') || '(not known)'}\n${' '.repeat(11)}${filters.join('; ')}\n`);
  }
  return ExitCode.OK;
}

export const usbCommand = defineCommand({
  name: 'usb',
  synopsis: 'list [--json] [--vm-filter RULES] [--spice-usbredir-auto-redirect-filter RULES] [--spice-usbredir-redirect-on-connect RULES]',
  summary:
    "this machine's USB devices (BUS-PORT, VID:PID, name, interface classes), the HID devices the\n" +
    'OS holds (hid:PATH, through node-hid) and what the USB filters say about each; says so when\n' +
    'the machine has no USB or node-hid does not load',
  options: {
    json: flag({ long: 'json', help: 'print it as JSON, for scripts' }),
    vmFilter: valueOption<string | undefined>({
      long: 'vm-filter',
      valueName: 'RULES',
      needs: 'usbredirfilter RULES',
      dashValue: true,
      absent: undefined,
      help: "a VM's USB filter (spicedesk info TARGET shows it) to check each device against",
      parse: (raw) => usbRulesOption('vm-filter', raw),
    }),
    spiceUsbredirAutoRedirectFilter: usbOptions.spiceUsbredirAutoRedirectFilter,
    spiceUsbredirRedirectOnConnect: usbOptions.spiceUsbredirRedirectOnConnect,
  },
  operands: subcommand,
  async run({ values }, cx) {
    const source = new UsbPackageSource();
    try {
      return await runUsbList({
        sources: [source, machineHidSource()], json: values.json, out: cx.out, guestFilter: values.vmFilter,
        autoRedirectFilter: values.spiceUsbredirAutoRedirectFilter, redirectOnConnect: values.spiceUsbredirRedirectOnConnect,
      });
    } finally {
      await source.stop();
    }
  },
});
