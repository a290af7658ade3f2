// The session page's parts (page-parts.ts), in the order they mount and are asked: a new panel
// is one file with its PagePart and one line here.
import { audioPart } from './audio-part.ts';
import { kioskPart } from './kiosk-page.ts';
import { mouseModeRequestPart } from './mouse-mode-request.ts';
import type { PagePart } from './page-parts.ts';
import { screenshotReplyPart } from './screenshot-reply.ts';
import { usbPart } from './usb-panel.ts';
import { clipboardPart, filesPart, passwordPart, resizePart } from './session-parts.ts';
import { vmMenuPart } from './vm-menu.ts';
import { serialConsolePart } from './serial-console.ts';
import { printerChooserPart } from './printer-chooser.ts';
import { folderChooserPart } from './folder-chooser.ts';

export const PAGE_PARTS: readonly PagePart[] = [
  passwordPart,
  resizePart,
  clipboardPart,
  filesPart,
  mouseModeRequestPart,
  screenshotReplyPart,
  audioPart,
  vmMenuPart,
  serialConsolePart,
  printerChooserPart,
  folderChooserPart,
  usbPart,
  // Last: its reconnect screen takes focus once the others have closed their dialogs.
  kioskPart,
];
