// The import layers and folder levels of docs/architecture.md are lint errors; these prove the rules fire.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function errorsFor(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return result.messages.filter((m) => m.severity === 2).map((m) => m.message);
}

describe('import layers', () => {
  it('src/protocol may not import src/main, node:*, electron or console', async () => {
    const errors = await errorsFor(
      'src/protocol/session/x.ts',
      "import { main } from '../../main/cli.ts';\nimport { Socket } from 'node:net';\nimport { app } from 'electron';\nexport const y = [main, Socket, app];\nconsole.log(y);\n",
    );
    expect(errors.join('\n')).toMatch(/src\/protocol must not import src\/main/);
    expect(errors.join('\n')).toMatch(/no node:\* imports/);
    expect(errors.join('\n')).toMatch(/must not import electron/);
    expect(errors.join('\n')).toMatch(/console/);
  });

  it('the main channel folder inside src/protocol is not the src/main layer', async () => {
    expect(await errorsFor('src/protocol/session/x.ts', "import { MainChannel } from '../channels/main/main-channel.ts';\nexport const y = MainChannel;\n")).toEqual([]);
  });

  it('src/renderer may not import src/main or node:*; src/main may not import src/renderer', async () => {
    const r = await errorsFor('src/renderer/x.ts', "import { main } from '../main/cli.ts';\nimport fs from 'node:fs';\nexport const y = [main, fs];\n");
    expect(r.join('\n')).toMatch(/src\/renderer must not import src\/main/);
    expect(r.join('\n')).toMatch(/sandboxed/);
    const m = await errorsFor('src/main/x.ts', "import { ui } from '../renderer/ui.ts';\nexport const y = ui;\n");
    expect(m.join('\n')).toMatch(/src\/main must not import src\/renderer/);
  });

  it('a folder may not import a higher level inside src/protocol, src/main or src/renderer', async () => {
    const p = await errorsFor('src/protocol/wire/x.ts', "import { Session } from '../session/session.ts';\nexport const y = Session;\n");
    expect(p.join('\n')).toMatch(/src\/protocol\/wire must not import src\/protocol\/session: a higher level/);
    const m = await errorsFor('src/main/transport/x.ts', "import { run } from '../commands/capture.ts';\nexport const y = run;\n");
    expect(m.join('\n')).toMatch(/src\/main\/transport must not import src\/main\/commands: a higher level/);
    const r = await errorsFor('src/renderer/present/x.ts', "import { page } from '../main.ts';\nexport const y = page;\n");
    expect(r.join('\n')).toMatch(/src\/renderer\/present must not import src\/renderer\/\*\.ts: a higher level/);
  });

  it('folders of one level may not import each other, channels included', async () => {
    const c = await errorsFor('src/protocol/channels/cursor/x.ts', "import { D } from '../display/display-channel.ts';\nexport const y = D;\n");
    expect(c.join('\n')).toMatch(/src\/protocol\/channels\/cursor must not import src\/protocol\/channels\/display: a folder of the same level/);
  });

  it('a lower level, the own folder and nested folders of it are allowed', async () => {
    expect(await errorsFor('src/protocol/session/x.ts', "import { W } from '../wire/reader.ts';\nimport { S } from './session.ts';\nexport const y = [W, S];\n")).toEqual([]);
    expect(await errorsFor('src/protocol/channels/main/agent/x.ts', "import { M } from '../main-channel.ts';\nexport const y = M;\n")).toEqual([]);
  });

  it('a folder without a level is an error, so every new folder is placed', async () => {
    const errors = await errorsFor('src/protocol/brand-new/x.ts', "import { W } from '../wire/reader.ts';\nexport const y = W;\n");
    expect(errors.join('\n')).toMatch(/src\/protocol\/brand-new has no level in folderLevels/);
  });
});
