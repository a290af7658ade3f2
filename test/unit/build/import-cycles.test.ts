// No module in src/ may reach itself through its imports: the folder levels of eslint.config.js
// forbid cycles between folders, and this finds the ones inside a folder too (madge --circular's
// job, done with the TypeScript compiler's own import scanner so no dependency is added).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** Every file's relative imports (static, re-exports, dynamic, type-only), resolved to files. */
export function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts') && !file.endsWith('.d.ts')) graph.set(file, importsOf(file));
    }
  };
  walk(dir);
  return graph;
}

function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => {
      const target = path.resolve(path.dirname(file), spec);
      return target.endsWith('.ts') ? target : `${target}.ts`;
    });
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('import cycles', () => {
  it('src/ has none', () => {
    const root = process.cwd();
    const cycles = importCycles(importGraph(path.join(root, 'src'))).map((c) => c.map((f) => path.relative(root, f)).join(' <-> '));
    expect(cycles).toEqual([]);
  });

  it('finds a cycle through a re-export, a dynamic import and a type-only import', () => {
    const graph = new Map<string, string[]>([
      ['/a.ts', ['/b.ts']],
      ['/b.ts', ['/c.ts']],
      ['/c.ts', ['/a.ts', '/d.ts']],
      ['/d.ts', []],
      ['/e.ts', ['/e.ts']],
    ]);
    expect(importCycles(graph)).toEqual([['/a.ts', '/b.ts', '/c.ts'], ['/e.ts']]);
  });

  it('reads every kind of relative import', () => {
    const root = path.join(process.cwd(), 'test/unit/build/import-cycles-sample');
    const graph = importGraph(root);
    const edges = (graph.get(path.join(root, 'a.ts')) ?? []).map((f) => path.relative(root, f)).sort();
    expect(edges).toEqual(['b.ts', 'c.ts', 'd.ts', 'e.ts']);
  });
});
