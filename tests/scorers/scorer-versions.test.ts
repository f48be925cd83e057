// Scorer versions: each registry entry names its upstream as structured fields,
// docs/scoring.md lists exactly the registries' normalizers, extractors and
// metric sources with those refs, and scorerVersions() picks what a run used.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { EXTRACTOR_NAMES, extractors } from '../../scorers/mcq/mcq-extractors.js';
import { NORMALIZER_NAMES, normalizers } from '../../scorers/normalizers/normalizer-registry.js';
import { taskNames, tasks } from '../../scorers/tasks/index.js';
import { differingScorerVersions, scorerVersions } from '../../scorers/tasks/scorer-versions.js';
import { formatUpstream, type VersionedScorer } from '../../scorers/tasks/upstream-ref.js';

/** Table rows (`| `name` | `version` | upstream |`) of one `### heading` under "## Scorer versions". */
async function versionRows(heading: string): Promise<{ name: string; version: string; upstream: string }[]> {
  const doc = await readFile(new URL('../../docs/scoring.md', import.meta.url), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Scorer versions\n'));
  expect(section, 'docs/scoring.md needs a "## Scorer versions" section').toBeDefined();
  const sub = section!.split(/^### /m).find((s) => s.startsWith(`${heading}\n`));
  expect(sub, `"### ${heading}" under Scorer versions`).toBeDefined();
  return sub!
    .split('\n')
    .filter((l) => /^\| `[^`]+` \|/.test(l))
    .map((l) => {
      const [nameCell, versionCell, ...upstream] = l.split(' | ');
      const code = (cell: string | undefined, what: string): string => defined(/`([^`]+)`/.exec(cell ?? '')?.[1], `a \`${what}\` cell in "${l}"`);
      return { name: code(nameCell, 'name'), version: code(versionCell, 'version'), upstream: upstream.join(' | ') };
    });
}

/** Each upstream ref is a tag (v…) or a full 40-hex commit, never a branch name. */
function expectPinned(entry: VersionedScorer, what: string): void {
  for (const u of entry.upstream) {
    expect(u.ref, what).toMatch(/^(v[0-9][\w.-]*|[0-9a-f]{40})$/);
    expect(u.repo, what).toMatch(/^[\w.-]+\/[\w.-]+$/);
    expect(u.path.length, what).toBeGreaterThan(0);
  }
  expect(entry.version, what).toMatch(/^[\w-]+@[\w.-]+$/);
}

describe('docs/scoring.md lists the registries with their upstream refs', () => {
  it('normalizers: exactly the registry, in order, each version and upstream', async () => {
    const rows = await versionRows('Normalizers');
    expect(rows.map((r) => r.name)).toEqual([...NORMALIZER_NAMES]);
    for (const r of rows) {
      const spec = normalizers[r.name as keyof typeof normalizers];
      expectPinned(spec, r.name);
      expect(r.version).toBe(spec.version);
      for (const u of spec.upstream) expect(r.upstream).toContain(`\`${formatUpstream(u)}\``);
    }
    expect(normalizers['whisper-en'].upstream[0]).toEqual({
      repo: 'openai/whisper',
      ref: 'v20250625',
      path: 'whisper/normalizers/english.py',
      symbol: 'EnglishTextNormalizer',
    });
  });

  it('extractors: exactly the registry, in order, each version and upstream', async () => {
    const rows = await versionRows('Extractors');
    expect(rows.map((r) => r.name)).toEqual([...EXTRACTOR_NAMES]);
    expect(EXTRACTOR_NAMES).toEqual(['videomme', 'lmms', 'lmms-2026-04', 'mvbench']);
    for (const r of rows) {
      const spec = extractors[r.name as keyof typeof extractors];
      expectPinned(spec, r.name);
      expect(spec.upstream.length, r.name).toBeGreaterThan(0);
      expect(r.version).toBe(spec.version);
      for (const u of spec.upstream) expect(r.upstream).toContain(`\`${formatUpstream(u)}\``);
    }
  });

  it('metrics: every task metric source, per task', async () => {
    const rows = await versionRows('Metrics');
    const expected = taskNames.flatMap((t) => tasks[t].metricSources.map((m) => ({ name: t, version: m.version, m })));
    expect(rows.map((r) => [r.name, r.version])).toEqual(expected.map((e) => [e.name, e.version]));
    for (const [k, e] of expected.entries()) {
      expectPinned(e.m, e.version);
      for (const u of e.m.upstream) expect(rows[k]?.upstream).toContain(`\`${formatUpstream(u)}\``);
    }
  });

  it('the multiple-choice table describes every extractor', async () => {
    const doc = await readFile(new URL('../../docs/scoring.md', import.meta.url), 'utf8');
    const section = doc.split(/^## /m).find((s) => s.startsWith('Multiple choice\n'))!;
    const rows = section
      .split('\n')
      .filter((l) => /^\| `[^`]+`/.test(l))
      .map((l) => /^\| `([^`]+)`/.exec(l)![1]);
    expect(rows).toEqual([...EXTRACTOR_NAMES]);
  });
});

describe('scorerVersions', () => {
  it('asr: the default normalizer and jiwer, or wenet for the mixed unit', () => {
    expect(scorerVersions('asr')).toEqual({ task: 'asr', normalizer: 'none@1', metric: 'jiwer@v4.0.0' });
    expect(scorerVersions('asr', { normalizer: 'whisper-en', unit: 'char' })).toEqual({
      task: 'asr',
      normalizer: 'whisper-en@v20250625',
      metric: 'jiwer@v4.0.0',
    });
    expect(scorerVersions('asr', { unit: 'mixed' })).toEqual({ task: 'asr', normalizer: 'wenet-zh@v3.1.0', metric: 'wenet-compute-wer@v3.1.0' });
  });

  it('mcq records the extractor (videomme by default); other tasks none', () => {
    expect(scorerVersions('mcq')).toEqual({ task: 'mcq', normalizer: 'none@1', extractor: 'videomme@4e7566d', metric: 'mcq-accuracy@4e7566d' });
    expect(scorerVersions('mcq', { extractor: 'lmms-2026-04' }).extractor).toBe('lmms-2026-04@7a69a9a');
    expect(scorerVersions('mcq', { extractor: 'lmms' }).extractor).toBe('lmms@1174fc0');
    expect(scorerVersions('ocr')).toEqual({ task: 'ocr', normalizer: 'none@1', metric: 'ocr-metrics@2026-11-28' });
    expect(scorerVersions('vqa', { normalizer: 'whisper-basic' })).toEqual({
      task: 'vqa',
      normalizer: 'whisper-basic@v20250625',
      metric: 'vqa-accuracy@a013f00+ocr-metrics@2026-11-28',
    });
  });

  it('an unregistered component is recorded as unknown; an unknown task throws', () => {
    expect(scorerVersions('mcq', { extractor: 'gpt-judge' }).extractor).toBe('gpt-judge@unknown');
    expect(() => scorerVersions('bleu')).toThrow(RangeError);
  });

  it('differences: only components recorded by runs with different versions; unknown runs never differ', () => {
    const a = scorerVersions('mcq', { extractor: 'lmms' });
    const b = scorerVersions('mcq', { extractor: 'lmms-2026-04' });
    expect(differingScorerVersions([a, b])).toEqual([{ component: 'extractor', versions: ['lmms@1174fc0', 'lmms-2026-04@7a69a9a'] }]);
    expect(differingScorerVersions([a, a])).toEqual([]);
    expect(differingScorerVersions([a, undefined, null, 'junk'])).toEqual([]);
    // An old run (no record) beside two known, differing ones still warns about those two.
    expect(differingScorerVersions([undefined, a, b]).map((d) => d.component)).toEqual(['extractor']);
    expect(differingScorerVersions([scorerVersions('asr'), scorerVersions('asr', { unit: 'mixed', normalizer: 'whisper-en' })])).toEqual([
      { component: 'normalizer', versions: ['none@1', 'whisper-en@v20250625'] },
      { component: 'metric', versions: ['jiwer@v4.0.0', 'wenet-compute-wer@v3.1.0'] },
    ]);
  });
});
