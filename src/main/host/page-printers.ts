// The page's printer chooser in the bridge host. When printing is on (--print-to), the page is
// told where the guest's next print job can go (PRINTERS): the host's printers as the print
// backend lists them (CUPS `lpstat` on Linux and macOS) and "save as a file" into a folder (the
// save:DIR of --print-to, else the user's Documents folder), with --print-to's choice first
// chosen. The page's PRINT_CHOOSE picks one of those by its id, checked against this list; the
// session's print spooler asks for the choice when each job starts.
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { HostMessage } from '../../protocol/bridge/bridge-messages.ts';
import type { PrintChoice, PrintChooseMessage } from '../../protocol/bridge/printer-messages.ts';
import type { Logger } from '../../protocol/logger.ts';
import { listCupsPrinters } from '../printing/cups-backend.ts';
import { listWindowsPrinters } from '../printing/windows-backend.ts';
import type { PrintBackend, PrinterLister } from '../printing/print-backend.ts';
import { printBackendFor, type PrintSetting } from '../printing/print-setting.ts';
import { SaveBackend } from '../printing/save-backend.ts';

/** Where "save as a file" saves when --print-to named a printer: Documents, else the home folder. */
export function defaultSaveDir(home = homedir()): string {
  const documents = join(home, 'Documents');
  return existsSync(documents) && statSync(documents).isDirectory() ? documents : home;
}

export class PagePrinters {
  private choices: (PrintChoice & { backend: PrintBackend })[] = [];
  private chosen = '';
  private note = '';
  private setting: PrintSetting | undefined;
  /** The last PRINTERS sent: none while printing is off and nothing was offered. */
  private last = JSON.stringify({ kind: 'printers', choices: [], chosen: '', note: '' });

  constructor(
    private readonly send: (m: HostMessage) => void,
    private readonly log: Logger,
    /** The platform's own by default: CUPS `lpstat`, or the Windows printers (Win32_Printer). */
    private readonly listPrinters?: PrinterLister,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  /**
   * The page's target chose its printing (none: off, and the page shows no chooser). A page whose
   * policy hides the bar (kiosk) gets no chooser either, and its jobs go where --print-to says.
   */
  async setTarget(setting: PrintSetting | undefined, allowed: boolean): Promise<void> {
    this.setting = setting;
    this.choices = [];
    this.chosen = '';
    this.note = '';
    if (!setting || !allowed) return this.report();
    const saveDir = setting.kind === 'save' ? setting.dir : defaultSaveDir();
    const save = { id: 'save', label: `Save as a file in ${saveDir}`, backend: new SaveBackend(saveDir) };
    const printers: (PrintChoice & { backend: PrintBackend })[] = [];
    try {
      const listed = await (this.listPrinters ?? (this.platform === 'win32' ? () => listWindowsPrinters() : listCupsPrinters))();
      for (const p of listed) printers.push({ id: `printer:${p.name}`, label: p.isDefault ? `${p.name} (default)` : p.name, backend: printBackendFor({ kind: 'printer', printer: p.name, maxBytes: setting.maxBytes }, this.platform) });
    } catch (e) {
      this.note = e instanceof Error ? e.message : String(e);
      this.log.warn({ err: this.note }, `the page's printer chooser: ${this.note}`);
    }
    if (this.setting !== setting) return;
    // The printer of --print-to is offered even when lpstat does not list it (another CUPS server's queue).
    if (setting.kind === 'printer' && !printers.some((p) => p.id === `printer:${setting.printer}`)) {
      printers.unshift({ id: `printer:${setting.printer}`, label: setting.printer, backend: printBackendFor(setting, this.platform) });
    }
    this.choices = [...printers, save];
    this.chosen = setting.kind === 'printer' ? `printer:${setting.printer}` : 'save';
    this.report();
  }

  /** PRINT_CHOOSE from the page. */
  handle(m: PrintChooseMessage): void {
    const choice = this.choices.find((c) => c.id === m.id);
    if (!choice) {
      this.log.warn({ id: m.id }, 'refusing a print choice the host did not offer');
      this.note = 'that choice is not offered';
    } else {
      this.chosen = choice.id;
      this.note = '';
      this.log.info({ id: choice.id }, `the page chose where print jobs go: ${choice.backend.describe()}`);
    }
    this.report();
  }

  /** Where the next job goes (the spooler asks when a job starts). */
  backend(): PrintBackend {
    const choice = this.choices.find((c) => c.id === this.chosen);
    if (choice) return choice.backend;
    // Before the list is made (lpstat is slow to answer): --print-to's own choice.
    if (!this.setting) throw new Error('printing is off');
    return printBackendFor(this.setting, this.platform);
  }

  private report(): void {
    const m: HostMessage = { kind: 'printers', choices: this.choices.map(({ id, label }) => ({ id, label })), chosen: this.chosen, note: this.note };
    const key = JSON.stringify(m);
    // A refusal says so again even when nothing else changed.
    if (key === this.last && !this.note) return;
    this.last = key;
    this.send(m);
  }
}
