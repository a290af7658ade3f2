// The host's side of the page's printer chooser (src/main/host/page-printers.ts) with a fake
// printer list: what PRINTERS offers (the listed printers, --print-to's own printer when the list
// lacks it, saving), what happens when listing fails or the page is a kiosk, which backend the
// spooler gets for each choice, and a choice the host did not offer.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostMessage } from '../../../../src/protocol/bridge/bridge-messages.ts';
import { silentLogger } from '../../../../src/protocol/logger.ts';
import { defaultSaveDir, PagePrinters } from '../../../../src/main/host/page-printers.ts';
import type { PrinterInfo } from '../../../../src/main/printing/print-backend.ts';

const home = mkdtempSync(join(tmpdir(), 'spicedesk-page-printers-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const MB = 1024 * 1024;

function chooser(list: () => Promise<PrinterInfo[]>, platform: NodeJS.Platform = 'linux') {
  const sent: HostMessage[] = [];
  return { sent, printers: new PagePrinters((m) => sent.push(m), silentLogger, list, platform) };
}

describe('PagePrinters', () => {
  it('offers the listed printers and saving, --print-to chosen; the spooler gets the choice', async () => {
    const { sent, printers } = chooser(async () => [{ name: 'office', isDefault: true }, { name: 'lab', isDefault: false }]);
    const dir = join(home, 'saves');
    mkdirSync(dir);
    await printers.setTarget({ kind: 'printer', printer: 'lab', maxBytes: MB }, true);
    expect(sent).toEqual([
      { kind: 'printers', choices: [{ id: 'printer:office', label: 'office (default)' }, { id: 'printer:lab', label: 'lab' }, { id: 'save', label: `Save as a file in ${defaultSaveDir()}` }], chosen: 'printer:lab', note: '' },
    ]);
    expect(printers.backend().describe()).toBe('printer lab (CUPS lp)');
    printers.handle({ kind: 'print-choose', id: 'printer:office' });
    expect(printers.backend().describe()).toBe('printer office (CUPS lp)');
    printers.handle({ kind: 'print-choose', id: 'save' });
    expect(printers.backend().describe()).toBe(`save to ${defaultSaveDir()}`);
    printers.handle({ kind: 'print-choose', id: 'printer:elsewhere' });
    expect(sent.at(-1)).toMatchObject({ chosen: 'save', note: 'that choice is not offered' });
    expect(printers.backend().describe()).toBe(`save to ${defaultSaveDir()}`);
  });

  it('keeps --print-to save:DIR and its printer when listing fails, and says why', async () => {
    const { sent, printers } = chooser(() => Promise.reject(new Error('listing the printers failed: lpstat is not installed (CUPS)')));
    await printers.setTarget({ kind: 'save', dir: home, maxBytes: MB }, true);
    expect(sent).toEqual([{ kind: 'printers', choices: [{ id: 'save', label: `Save as a file in ${home}` }], chosen: 'save', note: 'listing the printers failed: lpstat is not installed (CUPS)' }]);
    await printers.setTarget({ kind: 'printer', printer: 'q', maxBytes: MB }, true);
    expect(sent.at(-1)).toMatchObject({ choices: [{ id: 'printer:q', label: 'q' }, { id: 'save' }], chosen: 'printer:q' });
  });

  it('offers nothing while printing is off or to a kiosk page, whose jobs go where --print-to says', async () => {
    let listed = 0;
    const { sent, printers } = chooser(async () => {
      listed++;
      return [{ name: 'office', isDefault: true }];
    });
    await printers.setTarget(undefined, true);
    await printers.setTarget({ kind: 'printer', printer: 'office', maxBytes: MB }, false);
    expect([sent, listed]).toEqual([[], 0]);
    expect(printers.backend().describe()).toBe('printer office (CUPS lp)');
    printers.handle({ kind: 'print-choose', id: 'save' });
    expect(printers.backend().describe()).toBe('printer office (CUPS lp)');
  });

  it('saves into Documents when there is one, else the home folder', () => {
    expect(defaultSaveDir(home)).toBe(home);
    mkdirSync(join(home, 'Documents'));
    expect(defaultSaveDir(home)).toBe(join(home, 'Documents'));
  });
});
