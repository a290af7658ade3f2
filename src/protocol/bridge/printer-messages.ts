// The page's printer chooser (kind 0x44 host -> page, 0xc2 page -> host, in the range of issue
// 15's ports): when printing is on (--print-to), PRINTERS lists where the guest's next print job
// can go on the host (its printers, as the print backend lists them, and saving into a folder)
// and which one is chosen; PRINT_CHOOSE picks one of those by its id. The host checks the id
// against its own list: the page can only choose among what the host offered.
import { WireWriter } from '../wire/writer.ts';
import { encodeString, FieldReader } from './bridge-fields.ts';
import { HostKind, UiKind } from './kinds.ts';

export const PrinterLimits = { maxChoices: 64, maxIdBytes: 160, maxLabelBytes: 512 } as const;

export interface PrintChoice {
  /** "printer:NAME" or "save". */
  id: string;
  /** "office-laser (default)", "Save as a file in /home/me/Documents". */
  label: string;
}

export interface PrintersMessage {
  kind: 'printers';
  choices: PrintChoice[];
  /** The id of the choice the next job uses ('' when printing is off: then no choices). */
  chosen: string;
  /** Why the host's printers could not be listed, or what the last job did; '' for nothing to say. */
  note: string;
}

export interface PrintChooseMessage {
  kind: 'print-choose';
  id: string;
}

export function encodePrinterHostMessage(m: PrintersMessage): Uint8Array {
  const choices = m.choices.slice(0, PrinterLimits.maxChoices);
  const w = new WireWriter(64).u8(HostKind.PRINTERS).u8(choices.length);
  for (const c of choices) w.bytes(encodeString(c.id, PrinterLimits.maxIdBytes)).bytes(encodeString(c.label, PrinterLimits.maxLabelBytes));
  return w.bytes(encodeString(m.chosen, PrinterLimits.maxIdBytes)).bytes(encodeString(m.note, PrinterLimits.maxLabelBytes)).finish();
}

/** Null when the kind is not this file's; a BridgeError for a malformed message. */
export function decodePrinterHostMessage(bytes: Uint8Array): PrintersMessage | null {
  if (bytes[0] !== HostKind.PRINTERS) return null;
  const r = new FieldReader(bytes, 'host', 'PRINTERS');
  const n = r.range(r.u8('choices'), 'choices', 0, PrinterLimits.maxChoices);
  const choices: PrintChoice[] = [];
  for (let i = 0; i < n; i++) choices.push({ id: r.string('id', PrinterLimits.maxIdBytes), label: r.string('label', PrinterLimits.maxLabelBytes) });
  const chosen = r.string('chosen', PrinterLimits.maxIdBytes);
  const note = r.string('note', PrinterLimits.maxLabelBytes);
  r.end();
  if (chosen && !choices.some((c) => c.id === chosen)) r.fail(`the chosen "${chosen}" is none of the choices`);
  return { kind: 'printers', choices, chosen, note };
}

export function encodePrinterUiMessage(m: PrintChooseMessage): Uint8Array {
  return new WireWriter(8).u8(UiKind.PRINT_CHOOSE).bytes(encodeString(m.id, PrinterLimits.maxIdBytes)).finish();
}

export function decodePrinterUiMessage(kind: number, r: FieldReader): PrintChooseMessage | null {
  if (kind !== UiKind.PRINT_CHOOSE) return null;
  const id = r.string('id', PrinterLimits.maxIdBytes);
  if (!id) r.fail('an empty id');
  return { kind: 'print-choose', id };
}
