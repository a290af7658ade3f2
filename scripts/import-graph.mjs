// The relative-import graph of a source tree, and the cycles in it. Used by the lint rule
// layers/no-import-cycle (eslint.config.js) and by test/unit/build/import-cycles.test.ts, so that
// `npm run lint` and `npm test` both fail on a cycle (madge --circular's job, done with the
// TypeScript compiler's own import scanner so no dependency is added).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Where a relative import specifier of `file` resolves to ('.ts' added when it has none). */
export function resolveImport(file, spec) {
  const target = path.resolve(path.dirname(file), spec);
  return target.endsWith('.ts') ? target : `${target}.ts`;
}

/** A file's relative imports (static, re-exports, dynamic, type-only), resolved to files. */
export function importsOfSource(file, source) {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles.map((f) => f.fileName).filter((spec) => spec.startsWith('.')).map((spec) => resolveImport(file, spec));
}

/** Every .ts file below dir (not .d.ts) with its relative imports. */
export function importGraph(dir) {
  const graph = new Map();
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts') && !file.endsWith('.d.ts')) graph.set(file, importsOfSource(file, readFileSync(file, 'utf8')));
    }
  };
  walk(dir);
  return graph;
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function importCycles(graph) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const cycles = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/** The shortest chain of imports from `from` to `to` (both included), or null when there is none. */
export function importPath(graph, from, to) {
  const cameFrom = new Map([[from, null]]);
  const queue = [from];
  while (queue.length > 0) {
    const v = queue.shift();
    if (v === to) {
      const chain = [];
      for (let w = v; w !== null; w = cameFrom.get(w)) chain.unshift(w);
      return chain;
    }
    for (const w of graph.get(v) ?? []) {
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return null;
}
