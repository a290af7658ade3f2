// Types of import-graph.mjs for the TypeScript tests that use it.
export type ImportGraph = Map<string, string[]>;
export function resolveImport(file: string, spec: string): string;
export function importsOfSource(file: string, source: string): string[];
export function importGraph(dir: string): ImportGraph;
export function importCycles(graph: ImportGraph): string[][];
export function importPath(graph: ImportGraph, from: string, to: string): string[] | null;
