import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layering the layout promises (README "Layout", docs/contributing.md):
// scorers are pure functions, experts run engines but know nothing of the
// gateway. A scan of the import specifiers keeps it so.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/**
 * Every module specifier a file imports: static imports and re-exports,
 * dynamic `import()` (quoted or a backquoted literal), `require()` (as from
 * createRequire), and `new URL('./x.js', import.meta.url)` (how worker
 * threads are pointed at their module).
 */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specs: string[] = [];
  const patterns = [
    /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"`]([^'"`$]+)['"`]/g,
    /\bnew\s+URL\s*\(\s*['"`](\.[^'"`$]+)['"`]\s*,\s*import\.meta\.url/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[1] ?? '');
  return specs;
}

/** The top-level folder a relative specifier lands in, or the package name. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const resolved = path.relative(root, path.resolve(root, path.dirname(file), spec));
  return resolved.split(path.sep)[0] ?? resolved;
}

function violations(dir: string, forbidden: (t: string) => boolean): string[] {
  return sourceFiles(dir).flatMap((f) =>
    importsOf(f)
      .filter((s) => forbidden(target(f, s)))
      .map((s) => `${f} imports ${s}`),
  );
}

describe('layering', () => {
  it('finds imports at all (the scan is not vacuous), including dynamic, required and worker-URL ones', () => {
    expect(importsOf('experts/onnx/worker-pool.ts').length).toBeGreaterThan(0);
    expect(importsOf('experts/ocr/ppocr-pipeline.ts').some((s) => target('experts/ocr/ppocr-pipeline.ts', s) === 'scorers' || s.startsWith('./'))).toBe(true);
    expect(violations('gateway', (t) => t === 'scorers').length).toBeGreaterThan(0);
  });

  it('scorers import nothing from experts or the gateway', () => {
    expect(violations('scorers', (t) => t === 'experts' || t === 'gateway')).toEqual([]);
  });

  it('scorers do no I/O: no ONNX, child processes, files, workers or media libraries', () => {
    const io =
      /^(node:)?(fs|fs\/promises|child_process|worker_threads|cluster|module|os|zlib|stream|stream\/promises|readline|net|dgram|tls|http|http2|https)$|^onnxruntime|^sharp$|^fluent-ffmpeg$|^pg$|^@electric-sql\//;
    expect(violations('scorers', (t) => io.test(t))).toEqual([]);
  });

  it('experts import nothing from the gateway', () => {
    expect(violations('experts', (t) => t === 'gateway')).toEqual([]);
  });

  it('nothing outside gateway/cli imports gateway/cli (the runner and the demo take progress factories)', () => {
    const cli = path.join('gateway', 'cli');
    const intoCli = (file: string, spec: string): boolean => {
      if (!spec.startsWith('.')) return false;
      const resolved = path.relative(root, path.resolve(root, path.dirname(file), spec));
      return resolved === cli || resolved.startsWith(cli + path.sep);
    };
    const files = ['gateway', 'experts', 'scorers', 'datasets'].flatMap(sourceFiles).filter((f) => !f.startsWith(cli + path.sep));
    expect(files.length).toBeGreaterThan(0);
    expect(
      files.flatMap((f) =>
        importsOf(f)
          .filter((s) => intoCli(f, s))
          .map((s) => `${f} imports ${s}`),
      ),
    ).toEqual([]);
  });

  it('no SQL outside gateway/store and migrations: routes, the runner, live and the demo call repositories', () => {
    // Kysely's query builder (selectFrom…), its raw-SQL tag and helpers (sql`…`, sql<T>`…`, sql.join…) and
    // driver-level calls (.query(, .executeQuery() are all ways to build SQL; migrations/ is outside the scan.
    const sqlUse =
      /\b(?:selectFrom|insertInto|updateTable|deleteFrom)\s*\(|\bsql\s*(?:`|<)|\bsql\.(?:raw|ref|join|lit|id|table|val)\s*\(|\.query\s*\(|\.executeQuery\s*\(/;
    const store = path.join('gateway', 'store') + path.sep;
    const matching = ['gateway', 'datasets', 'bench'].flatMap(sourceFiles).filter((f) => sqlUse.test(readFileSync(path.join(root, f), 'utf8')));
    // The pattern is not vacuous: the repositories themselves match it.
    expect(matching.filter((f) => f.startsWith(store)).length).toBeGreaterThan(3);
    expect(matching.filter((f) => !f.startsWith(store))).toEqual([]);
  });

  it('has no cycles of static value imports between the project modules (type-only imports excepted)', () => {
    const graph = new Map<string, string[]>();
    for (const dir of ['gateway', 'scorers', 'experts', 'datasets']) for (const f of sourceFiles(dir)) graph.set(f, valueImportsOf(f));
    const cycles = findCycles(graph);
    // Not vacuous: the same search finds a planted cycle.
    expect(
      findCycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', ['c.ts']],
          ['c.ts', ['a.ts']],
        ]),
      ),
    ).toEqual(['a.ts -> b.ts -> c.ts']);
    expect(graph.size).toBeGreaterThan(100);
    expect(cycles).toEqual([]);
  });
});

/** The project files a file imports as values at load time (`import type`/`export type` and dynamic imports excepted). */
function valueImportsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'(\.[^']+)'/gms)) {
    const spec = m[1] ?? '';
    out.push(path.relative(root, path.resolve(root, path.dirname(file), spec.replace(/\.js$/, '.ts'))));
  }
  return out;
}

/** Every cycle a depth-first search meets, each as "a -> b -> c". */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const cycles: string[] = [];
  const stack: string[] = [];
  const onStack = new Set<string>();
  const done = new Set<string>();
  const visit = (node: string): void => {
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (onStack.has(next)) cycles.push(stack.slice(stack.indexOf(next)).join(' -> '));
      else if (!done.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    onStack.delete(node);
    done.add(node);
  };
  for (const node of graph.keys()) if (!done.has(node)) visit(node);
  return cycles;
}
