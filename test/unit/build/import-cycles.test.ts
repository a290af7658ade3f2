// No module in src/ may reach itself through its imports. The folder levels of eslint.config.js
// forbid cycles between folders; scripts/import-graph.mjs finds the ones inside a folder too, for
// this test and for the lint rule layers/no-import-cycle.
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph } from '../../../scripts/import-graph.mjs';

describe('import cycles', () => {
  it('src/ has none', () => {
    const root = process.cwd();
    const cycles = importCycles(importGraph(path.join(root, 'src'))).map((c) => c.map((f) => path.relative(root, f)).join(' <-> '));
    expect(cycles).toEqual([]);
  });

  it('finds a cycle of several files and a file importing itself, and nothing else', () => {
    const graph = new Map<string, string[]>([
      ['/a.ts', ['/b.ts']],
      ['/b.ts', ['/c.ts']],
      ['/c.ts', ['/a.ts', '/d.ts']],
      ['/d.ts', []],
      ['/e.ts', ['/e.ts']],
    ]);
    expect(importCycles(graph)).toEqual([['/a.ts', '/b.ts', '/c.ts'], ['/e.ts']]);
  });

  it('reads every kind of relative import: type-only, re-export, export *, dynamic', () => {
    const root = path.join(process.cwd(), 'test/unit/build/import-cycles-sample');
    const graph = importGraph(root);
    const edges = (graph.get(path.join(root, 'a.ts')) ?? []).map((f) => path.relative(root, f)).sort();
    expect(edges).toEqual(['b.ts', 'c.ts', 'd.ts', 'e.ts']);
  });

  it('npm run lint reports a new cycle inside one folder, naming the chain', async () => {
    const eslint = new ESLint({ cwd: process.cwd() });
    // session.ts imports session/channel-factories.ts already; make channel-factories import session.ts back.
    const [result] = await eslint.lintText("import { Session } from './session.ts';\nexport const y = Session;\n", {
      filePath: 'src/protocol/session/channel-factories.ts',
    });
    const messages = result.messages.filter((m) => m.severity === 2).map((m) => m.message);
    expect(messages.join('\n')).toMatch(/import cycle: src\/protocol\/session\/channel-factories\.ts -> src\/protocol\/session\/session\.ts -> .*src\/protocol\/session\/channel-factories\.ts/);
  });
});
