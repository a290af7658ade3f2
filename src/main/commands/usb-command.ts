// `spicedesk usb list`: the machine's USB devices (through the `usb` package, loaded only here)
// and what each filter says about each: the auto-redirect rules (default: everything but HID),
// the redirect-on-connect rules when given, and a VM's filter when given (`info` prints a VM's).
// On a machine without USB it says so and exits 0.
import { ExitCode } from '../node/exit-codes.ts';
import type { UsbDeviceDescription, UsbDeviceSource } from '../usb/device-source.ts';
import { UsbPackageSource } from '../usb/usb-device-source.ts';
import { usbRulesOption } from '../usb/usb-policy.ts';
import { DEFAULT_AUTO_REDIRECT_FILTER, deviceName, filterVerdict } from '../usb/usb-redirector.ts';
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
  source: UsbDeviceSource;
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
  interfaces: string[];
  autoRedirect: string;
  redirectOnConnect?: string;
  guestFilter?: string;
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

export async function runUsbList(o: UsbListOptions): Promise<number> {
  let notice: string | null = null;
  o.source.events.on('unavailable', (m) => (notice = m));
  const devices = await o.source.list();
  const verdict = (rules: string | undefined, d: UsbDeviceDescription): string | undefined =>
    rules === undefined ? undefined : describeFilterVerdict(filterVerdict(parseUsbredirFilter(rules), d));
  const listed: ListedDevice[] = devices.map((d) => ({
    id: d.id, vendorId: hex(d.vendorId, 4), productId: hex(d.productId, 4), name: deviceName(d),
    interfaces: (d.interfaces ?? []).map((f) => `${hex(f.class, 2)}/${hex(f.subclass, 2)}/${hex(f.protocol, 2)}`),
    autoRedirect: verdict(o.autoRedirectFilter ?? DEFAULT_AUTO_REDIRECT_FILTER, d)!,
    redirectOnConnect: verdict(o.redirectOnConnect, d),
    guestFilter: verdict(o.guestFilter, d),
  }));
  if (o.json) {
    o.out(JSON.stringify({ available: notice === null, notice, devices: listed }, null, 2) + '\n');
    return ExitCode.OK;
  }
  if (notice !== null) {
    o.out(`${notice}: no device to redirect\n`);
    return ExitCode.OK;
  }
  if (listed.length === 0) {
    o.out('no USB devices\n');
    return ExitCode.OK;
  }
  for (const d of listed) {
    const filters = [`auto-redirect: ${d.autoRedirect}`];
    if (d.redirectOnConnect) filters.push(`redirect-on-connect: ${d.redirectOnConnect}`);
    if (d.guestFilter) filters.push(`VM filter: ${d.guestFilter}`);
    o.out(`${d.id.padEnd(10)} ${d.name}  interfaces ${d.interfaces.join(' ') || '(not known)'}\n${' '.repeat(11)}${filters.join('; ')}\n`);
  }
  return ExitCode.OK;
}

export const usbCommand = defineCommand({
  name: 'usb',
  synopsis: 'list [--json] [--vm-filter RULES] [--spice-usbredir-auto-redirect-filter RULES] [--spice-usbredir-redirect-on-connect RULES]',
  summary:
    "this machine's USB devices (BUS-PORT, VID:PID, name, interface classes) and what the USB\n" +
    'filters say about each; says so when the machine has no USB',
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
        source, json: values.json, out: cx.out, guestFilter: values.vmFilter,
        autoRedirectFilter: values.spiceUsbredirAutoRedirectFilter, redirectOnConnect: values.spiceUsbredirRedirectOnConnect,
      });
    } finally {
      await source.stop();
    }
  },
});
