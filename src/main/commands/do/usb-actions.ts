// The `do` actions of USB redirection: usb-attach offers a device to the VM on its first free
// usbredir slot (the machine's own by VID:PID or BUS-PORT through `usb`, a HID device the OS holds
// by hid:PATH or hid:VID:PID through node-hid, or an ISO file as a CD)
// and waits until the guest has configured it; usb-detach takes it out. Refusals print their own
// sentence (usb-redirector.ts) and exit 1. A device stays in the VM while the script's connection
// lasts (`wait` keeps it there).
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { SpiceError } from '../../../protocol/wire/errors.ts';
import { ExitCode, exitCodeFor } from '../../node/exit-codes.ts';
import { detachSentence, deviceName, parseUsbSelector, USB_SELECTOR_FORMS, UsbRefusal, type UsbSelector } from '../../usb/usb-redirector.ts';
import { defineAction, usage, type DoActionDefinition } from './action.ts';

/** How often usb-attach looks whether the guest configured the device. */
const LOOK_EVERY_MS = 50;

function readSelector(word: string, action: string): UsbSelector {
  const selector = parseUsbSelector(word);
  if (!selector) throw usage(`${action} takes ${USB_SELECTOR_FORMS}, got "${word}"`);
  // A relative ISO path is the caller's: made absolute before connecting.
  return selector.kind === 'cd' ? { kind: 'cd', file: resolve(selector.file) } : selector;
}

function failureOf(action: string, e: unknown): { code: number; message: string } {
  if (e instanceof UsbRefusal) return { code: ExitCode.OTHER, message: `${action}: ${e.message}` };
  if (e instanceof SpiceError) return { code: exitCodeFor(e.kind), message: `${action}: ${e.message}` };
  throw e;
}

export const usbActions: readonly DoActionDefinition<unknown>[] = [
  defineAction<UsbSelector>({
    name: 'usb-attach',
    synopsis: 'usb-attach VID:PID|BUS-PORT|hid:PATH|hid:VID:PID|cd:FILE.iso',
    help:
      "redirect a USB device of this machine into the VM (its first\n" +
      'free USB slot, after its USB filter), a HID device the OS\n' +
      'holds as a USB HID device (hid:..., through node-hid), or\n' +
      'share an ISO file as a USB CD-ROM; waits until the guest\n' +
      'configured it',
    needs: ['usb'],
    repeatable: false,
    parse: (words) => readSelector(words.take(`a device (${USB_SELECTOR_FORMS})`), 'usb-attach'),
    async prepare(selector) {
      if (selector.kind === 'cd') {
        try {
          accessSync(selector.file, constants.R_OK);
        } catch (e) {
          throw usage(`usb-attach: cannot read ${selector.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        }
      }
      return selector;
    },
    async run(selector, script) {
      const usb = script.usb;
      try {
        const redirector = await usb.redirector();
        const host = await redirector.attach(selector);
        const name = deviceName(host.device.description);
        // Configured: the guest's driver took it (set_configuration), or it left again.
        await usb.bounded(new Promise<void>((done) => {
          const look = (): void => {
            if (host.handled.has('set_configuration') || host.state === 'gone') done();
            else setTimeout(look, LOOK_EVERY_MS);
          };
          look();
        }), `configuration of ${name} by the guest`);
        if (host.state === 'gone') return { code: ExitCode.OTHER, message: `usb-attach: ${name} left the VM before the guest configured it` };
        usb.progress(`usb-attach: ${name} is in the VM on ${host.channel.name}`);
        return null;
      } catch (e) {
        return failureOf('usb-attach', e);
      }
    },
  }),
  defineAction<UsbSelector>({
    name: 'usb-detach',
    synopsis: 'usb-detach VID:PID|BUS-PORT|hid:PATH|hid:VID:PID|cd:FILE.iso',
    help: 'take a redirected device (or shared CD) out of the VM',
    needs: ['usb'],
    repeatable: true,
    parse: (words) => readSelector(words.take(`a device (${USB_SELECTOR_FORMS})`), 'usb-detach'),
    async run(selector, script) {
      try {
        const redirector = await script.usb.redirector();
        const result = await script.usb.bounded(redirector.detach(selector), 'device_disconnect_ack from the guest');
        script.usb.progress(`usb-detach: ${detachSentence(result)}`);
        return null;
      } catch (e) {
        return failureOf('usb-detach', e);
      }
    },
  }),
];
