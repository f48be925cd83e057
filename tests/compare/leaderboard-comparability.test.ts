// Issue 19, "Rankings that compare only what is comparable": the leaderboard and
// `compare --task` rank together only runs with the same dataset digest, the same
// sample set and the same scoring; the rest go on separate boards that say what
// differs, or on one board marked mixed with --allow-mixed. An empty run is never
// ranked; failed samples show next to n. Checked on the library (both backends),
// over HTTP and through the CLI.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import registerLeaderboard from '../../gateway/cli/commands/leaderboard.js';
import registerCompare from '../../gateway/cli/commands/compare.js';
import { runComparability } from '../../gateway/compare/board-criteria.js';
import { computeLeaderboards, buildLeaderboards, type Leaderboard } from '../../gateway/compare/leaderboard.js';
import { kindGapView, type KindGapView } from '../../gateway/compare/kind-gap.js';
import { configSchema } from '../../gateway/config/config-schema.js';
import { createApp } from '../../gateway/server/create-app.js';
import { runCommandInProcess } from '../helpers/run-cli.js';
import { backends, createPostgresTestStore, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { runHeader, sampleOutcome } from './outcome-fixtures.js';
import { seedDataset, seedRun, type SeedPrediction } from './seed-runs.js';

const N = 12;
const keys = Array.from({ length: N }, (_, i) => `u${String(i).padStart(2, '0')}`);
const refOf = (i: number): string => `word${i} and another word ${i}`;
// Wrong on every third sample, so intervals are not degenerate.
const textOf = (i: number): string => (i % 3 === 0 ? `word${i} and other word` : refOf(i));
const all = (f: (i: number) => string = textOf): SeedPrediction[] => keys.map((key, i) => ({ key, text: f(i) }));

const hasPostgres = await postgresAvailable();

/** The boards of the seeded dataset, by what they are. */
function byKind(boards: readonly Leaderboard[]) {
  const main = boards.filter((b) => b.board === 'main');
  const separate = boards.filter((b) => b.board === 'separate');
  const find = (differs: string): Leaderboard | undefined => separate.find((b) => b.differs.includes(differs));
  return { main, separate, find };
}

/** Seeds the scenario; returns run ids by role. */
async function seedScenario(ts: TestStore): Promise<Record<string, string>> {
  const db = ts.store.db;
  const { datasetId, ids } = await seedDataset(
    db,
    'board-set',
    keys.map((key, i) => ({ key, task: 'asr' as const, reference: refOf(i), tags: [i % 2 ? 'odd' : 'even'] })),
  );
  const run = (model: string, kind: 'generalist' | 'specialist', predictions: SeedPrediction[], extra: Partial<Parameters<typeof seedRun>[1]> = {}) =>
    seedRun(db, { model, kind, datasetId, ids, task: 'asr', predictions, finishedAt: new Date('2026-02-01T00:00:00Z'), ...extra });
  return {
    // The main board: full runs, default scoring, digest d.
    alphaFull: await run('alpha', 'specialist', all()),
    betaFull: await run('beta', 'generalist', [...all().slice(0, 10), { key: keys[10]!, status: 'failed' }, { key: keys[11]!, status: 'failed' }]),
    // Every call failed: nothing scored.
    zetaEmpty: await run(
      'zeta',
      'generalist',
      keys.map((key) => ({ key, status: 'failed' as const })),
    ),
    // `--limit 6` runs (perfect, so they would top a mixed board): alpha's is its latest run.
    gammaLimited: await run('gamma', 'generalist', all(refOf).slice(0, 6)),
    alphaLimited: await run('alpha', 'specialist', all(refOf).slice(0, 6), { finishedAt: new Date('2026-03-01T00:00:00Z') }),
    // Another normalizer, another digest.
    deltaNorm: await run('delta', 'specialist', all(refOf), { normalizer: 'whisper-basic' }),
    epsilonDigest: await run('epsilon', 'generalist', all(refOf), { datasetDigest: 'old-digest' }),
  };
}

function checkBoards(boards: readonly Leaderboard[], runs: Record<string, string>): void {
  const { main, separate, find } = byKind(boards);
  expect(main).toHaveLength(1);
  const m = main[0]!;
  expect(boards[0]).toBe(m);
  // Only comparable runs are ranked on the main board: alpha's full run (not its later --limit run) and beta.
  expect(m.entries.map((e) => [e.modelId, e.runId, e.n, e.failed]).sort()).toEqual([
    ['alpha', runs.alphaFull, N, 0],
    ['beta', runs.betaFull, N - 2, 2],
  ]);
  expect(m.criteria).toMatchObject({ datasetDigest: 'd', sampleCount: N, datasetSampleCount: N, scorer: { normalizer: 'none' } });
  expect(m.criteria.text).toContain(`dataset digest d; samples: ${N} of ${N}; scorer: normalizer none@1`);
  expect(m.differs).toEqual([]);
  // The empty run is listed, never ranked, never tied.
  expect(m.unranked).toEqual([{ runId: runs.zetaEmpty, modelId: 'zeta', reason: 'no scored samples', failed: N, skipped: 0 }]);
  expect(boards.flatMap((b) => b.entries.flatMap((e) => [e.modelId, ...e.tiedWith]))).not.toContain('zeta');

  expect(separate).toHaveLength(3);
  const limited = find(`samples: 6 of ${N} (main board: ${N} of ${N})`);
  expect(limited?.entries.map((e) => [e.modelId, e.runId, e.n]).sort()).toEqual([
    ['alpha', runs.alphaLimited, 6],
    ['gamma', runs.gammaLimited, 6],
  ]);
  expect(limited?.differs).toHaveLength(1);
  expect(limited?.criteria.sampleCount).toBe(6);
  const norm = find('normalizer: whisper-basic (main board: none)');
  expect(norm?.entries.map((e) => e.modelId)).toEqual(['delta']);
  expect(norm?.criteria.scorer.normalizer).toBe('whisper-basic');
  const digest = find('dataset digest: old-digest (main board: d)');
  expect(digest?.entries.map((e) => e.modelId)).toEqual(['epsilon']);
  // Ranks are counted on each board apart: the perfect --limit runs do not outrank anything on the main board.
  expect(m.entries.map((e) => e.rank)).toEqual([1, 1]);
}

function checkMixed(boards: readonly Leaderboard[], runs: Record<string, string>): void {
  expect(boards).toHaveLength(1);
  const b = boards[0]!;
  expect(b.board).toBe('mixed');
  // Each model's latest run: alpha's is its --limit run.
  expect(b.entries.map((e) => e.runId).sort()).toEqual([runs.alphaLimited, runs.betaFull, runs.deltaNorm, runs.epsilonDigest, runs.gammaLimited].sort());
  const differs = new Map(b.entries.map((e) => [e.modelId, e.differs ?? []]));
  expect(differs.get('gamma')).toEqual([`samples: 6 of ${N} (board: ${N} of ${N})`]);
  expect(differs.get('delta')).toEqual(['normalizer: whisper-basic (board: none)']);
  expect(differs.get('epsilon')).toEqual(['dataset digest: old-digest (board: d)']);
  expect(differs.get('beta')).toEqual([]);
  expect(b.differs).toContain(`gamma: samples: 6 of ${N} (board: ${N} of ${N})`);
  expect(b.unranked.map((u) => u.modelId)).toEqual(['zeta']);
}

for (const backend of backends) {
  describe.skipIf(backend.name === 'postgres' && !hasPostgres)(`leaderboard ranks only comparable runs (${backend.name})`, () => {
    let ts: TestStore;
    let runs: Record<string, string>;
    let app: FastifyInstance;

    beforeAll(async () => {
      ts = await backend.create();
      runs = await seedScenario(ts);
      app = await createApp({ config: configSchema.parse({ server: { auth: false } }), store: ts.store });
    });
    afterAll(async () => {
      await app?.close();
      await ts?.dispose();
    });

    it('refuses to rank a --limit subset, another normalizer or another digest with the full runs', async () => {
      checkBoards(await buildLeaderboards(ts.store.db, { task: 'asr', iterations: 50 }), runs);
    });

    it('ranks them together with --allow-mixed, marked mixed, each entry naming what differs', async () => {
      checkMixed(await buildLeaderboards(ts.store.db, { task: 'asr', iterations: 50, allowMixed: true }), runs);
    });

    it('serves the same boards over HTTP, criteria and differences included', async () => {
      const get = async (q: string): Promise<Leaderboard[]> => {
        const res = await app.inject({ url: `/v1/leaderboard?task=asr&dataset=board-set&iterations=50${q}` });
        expect(res.statusCode, res.body).toBe(200);
        return res.json<{ boards: Leaderboard[] }>().boards;
      };
      checkBoards(await get(''), runs);
      checkMixed(await get('&allowMixed=true'), runs);
      const bad = await app.inject({ url: '/v1/leaderboard?task=asr&allowMixed=maybe' });
      expect(bad.statusCode).toBe(400);
    });

    it('compare --task compares generalists and specialists only within a board', async () => {
      const check = (v: KindGapView): void => {
        const mainAll = v.rows.find((r) => r.board === 'main' && r.slice === 'all');
        expect(mainAll?.generalist?.modelId).toBe('beta');
        expect(mainAll?.specialist?.modelId).toBe('alpha');
        expect(mainAll?.specialist?.runId).toBe(runs.alphaFull);
        expect(mainAll?.criteria.sampleCount).toBe(N);
        const limitedAll = v.rows.find((r) => r.slice === 'all' && r.differs.includes(`samples: 6 of ${N} (main board: ${N} of ${N})`));
        expect(limitedAll?.board).toBe('separate');
        expect([limitedAll?.generalist?.modelId, limitedAll?.specialist?.modelId]).toEqual(['gamma', 'alpha']);
      };
      check(await kindGapView(ts.store.db, { task: 'asr', iterations: 50 }));
      const res = await app.inject({ url: '/v1/compare/kinds?task=asr&dataset=board-set&iterations=50' });
      expect(res.statusCode, res.body).toBe(200);
      check(res.json<KindGapView>());
      const mixed = await kindGapView(ts.store.db, { task: 'asr', iterations: 50, allowMixed: true });
      expect(new Set(mixed.rows.map((r) => r.board))).toEqual(new Set(['mixed']));
      // Mixed, the perfect --limit runs are the best of each kind.
      expect(mixed.rows.find((r) => r.slice === 'all')?.generalist?.modelId).not.toBe('beta');
      expect(mixed.rows[0]?.differs).toContain(`gamma: samples: 6 of ${N} (board: ${N} of ${N})`);
    });
  });
}

describe.skipIf(!hasPostgres)('evalgate leaderboard and compare --task (CLI)', () => {
  let ts: TestStore;
  let runs: Record<string, string>;
  let dir: string;
  let cfg: string;

  beforeAll(async () => {
    ts = await createPostgresTestStore();
    runs = await seedScenario(ts);
    dir = await mkdtemp(join(tmpdir(), 'evalgate-boards-'));
    cfg = join(dir, 'evalgate.config.json');
    await writeFile(cfg, JSON.stringify({ database: { url: ts.url } }));
  });
  afterAll(async () => {
    await ts?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints each board with its criteria, what differs, failed counts and the unranked run', async () => {
    const r = await runCommandInProcess(registerLeaderboard, ['-c', cfg, 'leaderboard', '--task', 'asr', '--iterations', '50']);
    expect(r.stderr).toBe('');
    const [main, ...rest] = r.stdout.split('\n\n');
    expect(main).toContain('asr on board-set: wer (lower is better) (main board)');
    expect(main).toContain(`criteria: dataset digest d; samples: ${N} of ${N}; scorer: normalizer none@1`);
    expect(main).toMatch(/^rank\s+model\s+kind\s+wer\s+n\s+failed\s+tied with$/m);
    expect(main).toMatch(new RegExp(`^1\\s+beta\\s+generalist\\s+\\S+ \\[\\S+, \\S+\\]\\s+${N - 2}\\s+2\\b`, 'm'));
    expect(main).toContain(`not ranked: zeta (run ${runs.zetaEmpty!.slice(0, 8)}): no scored samples (${N} failed)`);
    expect(main).not.toMatch(/^\d+\s+(gamma|delta|epsilon)\b/m);
    const separate = rest.join('\n\n');
    expect(separate).toContain(`differs: samples: 6 of ${N} (main board: ${N} of ${N})`);
    expect(separate).toContain('differs: normalizer: whisper-basic (main board: none)');
    expect(separate).toContain('differs: dataset digest: old-digest (main board: d)');
    expect(separate.match(/\(separate board: not comparable with the main board/g)).toHaveLength(3);
  });

  it('--json carries the boards; --allow-mixed ranks everything on one board marked mixed', async () => {
    const json = await runCommandInProcess(registerLeaderboard, ['-c', cfg, 'leaderboard', '--task', 'asr', '--iterations', '50', '--json']);
    checkBoards((JSON.parse(json.stdout) as { boards: Leaderboard[] }).boards, runs);
    const mixedJson = await runCommandInProcess(registerLeaderboard, [
      '-c',
      cfg,
      'leaderboard',
      '--task',
      'asr',
      '--iterations',
      '50',
      '--json',
      '--allow-mixed',
    ]);
    checkMixed((JSON.parse(mixedJson.stdout) as { boards: Leaderboard[] }).boards, runs);
    const text = await runCommandInProcess(registerLeaderboard, ['-c', cfg, 'leaderboard', '--task', 'asr', '--iterations', '50', '--allow-mixed']);
    expect(text.stdout).toContain('MIXED board (--allow-mixed)');
    expect(text.stdout).toMatch(/^rank\s+model\s+kind\s+wer\s+n\s+failed\s+tied with\s+differs from the criteria$/m);
    expect(text.stdout).toMatch(/^\d+\s+delta\s+.*normalizer: whisper-basic \(board: none\)$/m);
  });

  it('compare --task prints one table per board, headed by its criteria', async () => {
    const r = await runCommandInProcess(registerCompare, ['-c', cfg, 'compare', '--task', 'asr', '--iterations', '50']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`board-set (main board); criteria: dataset digest d; samples: ${N} of ${N}`);
    expect(r.stdout).toContain(`differs: samples: 6 of ${N} (main board: ${N} of ${N})`);
    const mixed = await runCommandInProcess(registerCompare, ['-c', cfg, 'compare', '--task', 'asr', '--iterations', '50', '--allow-mixed']);
    expect(mixed.stdout).toContain('board-set (mixed board)');
  });
});

describe('choosing the main board', () => {
  const outcomes = (n: number) => Array.from({ length: n }, (_, i) => sampleOutcome(`s${i}`, 'A', { answer: 'A', choices: ['x', 'y'] }));
  const board = (currentDigest: string | null, runs: { id: string; digest: string; n: number; normalizer?: string; scorer?: Record<string, unknown> }[]) =>
    computeLeaderboards(
      {
        task: 'mcq',
        frozenAt: null,
        datasets: [
          {
            dataset: 'd',
            datasetSampleCount: 20,
            currentDigest,
            excludedAfterFreeze: [],
            runs: runs.map((r) => ({
              run: runHeader(r.id, 'mcq', { datasetDigest: r.digest, normalizer: r.normalizer ?? null, scoring: r.scorer ?? {} }),
              outcomes: outcomes(r.n),
            })),
          },
        ],
      },
      { iterations: 20 },
    );

  it("prefers the dataset's current digest, then the most samples, then the most runs", () => {
    expect(
      board('new', [
        { id: 'old-1', digest: 'old', n: 20 },
        { id: 'old-2', digest: 'old', n: 20 },
        { id: 'new-1', digest: 'new', n: 20 },
      ])[0]!.entries.map((e) => e.runId),
    ).toEqual(['new-1']);
    expect(
      board(null, [
        { id: 'small-1', digest: 'x', n: 5 },
        { id: 'small-2', digest: 'x', n: 5 },
        { id: 'full', digest: 'x', n: 20 },
      ])[0]!.entries.map((e) => e.runId),
    ).toEqual(['full']);
    expect(
      board(null, [
        { id: 'a', digest: 'x', n: 20 },
        { id: 'b', digest: 'y', n: 20 },
        { id: 'c', digest: 'y', n: 20 },
      ])[0]!
        .entries.map((e) => e.runId)
        .sort(),
    ).toEqual(['b', 'c']);
  });

  it('tells sample sets of the same size apart by content, without listing their ids', () => {
    const run = (id: string, from: number) => ({
      run: runHeader(id, 'mcq', { datasetDigest: 'x' }),
      outcomes: Array.from({ length: 6 }, (_, i) => sampleOutcome(`s${from + i}`, 'A', { answer: 'A', choices: ['x', 'y'] })),
    });
    const boards = computeLeaderboards(
      {
        task: 'mcq',
        frozenAt: null,
        datasets: [{ dataset: 'd', datasetSampleCount: 20, excludedAfterFreeze: [], runs: [run('first-1', 0), run('first-2', 0), run('later', 10)] }],
      },
      { iterations: 20 },
    );
    expect(boards.map((b) => [b.board, b.entries.map((e) => e.runId).sort()])).toEqual([
      ['main', ['first-1', 'first-2']],
      ['separate', ['later']],
    ]);
    expect(boards[1]!.differs).toEqual(['samples: a different set of 6 (main board: another set of 6)']);
    expect(JSON.stringify(boards.map((b) => [b.criteria, b.differs]))).not.toMatch(/"s\d+"|\bs1\d\b/);
  });

  it('treats a recorded default as the default, and names a different extractor', () => {
    const boards = board(null, [
      { id: 'implicit', digest: 'x', n: 20 },
      { id: 'explicit', digest: 'x', n: 20, normalizer: 'none', scorer: { normalizer: 'none' } },
      { id: 'other', digest: 'x', n: 20, scorer: { extractor: 'mvbench' } },
    ]);
    expect(boards[0]!.entries.map((e) => e.runId).sort()).toEqual(['explicit', 'implicit']);
    expect(boards[1]!.differs.some((d) => d.startsWith('extractor: mvbench'))).toBe(true);
  });

  it('keeps judge scores from different judges apart (model, prompt, temperature, samples, parse rule), naming the judge', () => {
    const judge = { modelId: 'judge-a', promptTemplate: 'Rate the answer from 0 to 5.', temperature: 0, samples: 1, parseRule: 'last-integer' };
    const keyOf = (j: unknown) =>
      runComparability({ run: runHeader('r', 'judge-score', { datasetDigest: 'x', judge: j }), outcomes: [sampleOutcome('s1', '4', { reference: 'r' })] }, 1);
    const same = keyOf({ ...judge });
    expect(keyOf(judge).key).toBe(same.key);
    for (const change of [
      { modelId: 'judge-b' },
      { promptTemplate: 'Another rubric.' },
      { temperature: 0.5 },
      { samples: 3 },
      { parseRule: 'first-integer' },
    ]) {
      expect(keyOf({ ...judge, ...change }).key, JSON.stringify(change)).not.toBe(same.key);
    }
    expect(same.criteria.text).toContain('judge-a');
    // The prompt is named by a hash, never printed.
    expect(same.criteria.text).not.toContain('Rate the answer');
  });
});
