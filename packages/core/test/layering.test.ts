// How core's modules import each other: no cycle of modules that need each other to load, and the kernel's own
// modules (kernel/) in layers, each knowing only those below it (docs/decisions/2026-12-02-kernel-object-split.md).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

interface Edge {
  readonly to: string;
  /** Only types are imported: the edge is gone once compiled. */
  readonly typeOnly: boolean;
}

/** Every .ts module under src (tests left out), by path relative to src. */
function modules(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(relative(SRC, path));
    }
  };
  walk(SRC);
  return out.sort();
}

/** The relative imports and re-exports of a module's source. */
function importsOf(file: string, source: string): Edge[] {
  const edges: Edge[] = [];
  const statement = /^(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*'(\.[^']+)'/gms;
  for (const m of source.matchAll(statement)) {
    const clause = m[3]!;
    const names = /^\{([^}]*)\}$/s.exec(clause.trim());
    const allTypes =
      names !== null &&
      names[1]!
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '')
        .every((n) => n.startsWith('type '));
    edges.push({ to: join(dirname(file), m[4]!), typeOnly: m[2] !== undefined || allTypes });
  }
  return edges;
}

/** The first cycle found in a graph (as a path that returns to its start), or null. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== null) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle !== null) return cycle;
  }
  return null;
}

function graphOf(files: readonly string[], keep: (from: string, edge: Edge) => boolean): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const edges = importsOf(file, readFileSync(join(SRC, file), 'utf8'));
    graph.set(
      file,
      edges.filter((e) => keep(file, e)).map((e) => e.to),
    );
  }
  return graph;
}

describe("core's import graph", () => {
  const files = modules();

  it('reads type-only and value imports apart', () => {
    const src = [
      "import type { A } from './a.ts';",
      "import { type B, type C } from './b.ts';",
      "import { type D, e } from './d.ts';",
      "import {\n  f,\n  type G,\n} from '../f/g.ts';",
      "export { h } from './h.ts';",
      "import { x } from 'vitest';",
    ].join('\n');
    expect(importsOf('kernel/k.ts', src)).toEqual([
      { to: 'kernel/a.ts', typeOnly: true },
      { to: 'kernel/b.ts', typeOnly: true },
      { to: 'kernel/d.ts', typeOnly: false },
      { to: 'f/g.ts', typeOnly: false },
      { to: 'kernel/h.ts', typeOnly: false },
    ]);
  });

  it('finds the modules it checks', () => {
    expect(files).toContain('kernel/kernel-impl.ts');
    expect(files).toContain('base/dd.ts');
    expect(files.length).toBeGreaterThan(30);
  });

  it('has no cycle of modules that import each other by value', () => {
    expect(findCycle(graphOf(files, (_from, e) => !e.typeOnly))).toBeNull();
  });

  it("has no cycle among kernel/'s modules, types included, but for the composition (kernel-impl.ts) as a type", () => {
    const kernel = files.filter((f) => f.startsWith('kernel/'));
    const graph = graphOf(
      kernel,
      (_from, e) => e.to.startsWith('kernel/') && !(e.typeOnly && e.to === 'kernel/kernel-impl.ts'),
    );
    expect(findCycle(graph)).toBeNull();
  });

  it("imports kernel-impl.ts by value only from create.ts: kernel/'s modules get the kernel handed in", () => {
    const importers = files.filter((f) =>
      importsOf(f, readFileSync(join(SRC, f), 'utf8')).some((e) => e.to === 'kernel/kernel-impl.ts' && !e.typeOnly),
    );
    expect(importers).toEqual(['kernel/create.ts']);
  });

  it('keeps the log, oops, chain list, plugin host and probe faults to their own hosts (no kernel-impl.ts at all)', () => {
    for (const f of ['log', 'oops', 'chains', 'plugin-host', 'faults']) {
      const file = `kernel/${f}.ts`;
      const edges = importsOf(file, readFileSync(join(SRC, file), 'utf8'));
      expect(edges.map((e) => e.to)).not.toContain('kernel/kernel-impl.ts');
    }
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    expect(findCycle(graph)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b']]]))).toBeNull();
  });
});
