// The import layers of shared/docs/architecture.md are lint errors; these prove the rules fire.
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
});
