// `evalgate judge --runs A,B --pairwise` on a real database: two source runs
// (replayed answers), a scripted judge speaking the OpenAI chat-completions
// wire format whose verdicts depend on the answer and on the presentation
// order (and that sometimes answers garbage or fails), the arena votes it
// leaves, position bias on a hand-made case, and resume without duplicates.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeMode } from '../../gateway/cli/commands/judge.js';
import { configSchema, type EvalgateConfig } from '../../gateway/config/config-schema.js';
import { compareRuns } from '../../gateway/compare/compare-runs.js';
import { loadRunOutcomes } from '../../gateway/compare/load-run-outcomes.js';
import { prepareJudging } from '../../gateway/judge/execute-judging.js';
import { executePairJudging, preparePairJudging, type PairJudgeRunConfig } from '../../gateway/judge/execute-pair-judging.js';
import { formatPairJudgeReport } from '../../gateway/judge/format-pair-judge-report.js';
import { createModel } from '../../gateway/models/create-model.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { defaultRetryPolicy } from '../../gateway/runner/retry-policy.js';
import { listArenaVotes } from '../../gateway/store/arena-vote-repo.js';
import { arenaHardSystemPrompt } from '../../scorers/judge/judge-pair.js';
import { backends, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { answerMarker, startJudgeServer, type JudgeServer, type JudgeStep } from './scripted-judge-server.js';

const hasPostgres = await postgresAvailable();

// What the judge thinks of each sample, by kind. `alpha` is run A's answer, `beta` run B's.
//   a-strong: alpha much better; b-better: beta better; tie; first: whichever answer is shown first is better
//   (pure position bias); garbage: no verdict label, ever; garbage-ba: readable with alpha first, garbage with
//   beta first; flaky: the first ask of the sample unreadable, then alpha better; down: HTTP 500 every time.
const kinds = ['a-strong', 'b-better', 'tie', 'first', 'garbage', 'garbage-ba', 'flaky', 'a-strong', 'first', 'down'] as const;
type Kind = (typeof kinds)[number];
const n = kinds.length;
const keyOf = (i: number): string => `p${String(i).padStart(3, '0')}`;
const kindOf = (key: string): Kind => kinds[Number(key.slice(1))]!;
const unreadable = 'Both answers have merits; I cannot decide.';

function pairJudge(key: string | undefined, count: number, prompt: string): JudgeStep {
  if (key === undefined) return { status: 400 };
  const alphaFirst = prompt.indexOf('alpha') < prompt.indexOf('beta');
  // The verdict in presented terms for "alpha is better" (strong or not).
  const alphaWins = (strong: boolean): string => (alphaFirst ? (strong ? '[[A>>B]]' : '[[A>B]]') : strong ? '[[B>>A]]' : '[[B>A]]');
  switch (kindOf(key)) {
    case 'a-strong':
      return { text: `Assistant A… My final verdict is ${alphaWins(true)}` };
    case 'b-better':
      return { text: `verdict: ${alphaFirst ? '[[B>A]]' : '[[A>B]]'}` };
    case 'tie':
      return { text: 'My final verdict is tie: [[A=B]]' };
    case 'first':
      return { text: 'The first one is better: [[A>B]]' };
    case 'garbage':
      return { text: unreadable };
    case 'garbage-ba':
      return alphaFirst ? { text: '[[A>B]]' } : { text: unreadable };
    case 'flaky':
      return count === 1 ? { text: unreadable } : { text: alphaWins(false) };
    case 'down':
      return { status: 500 };
  }
}

describe('judge command modes', () => {
  it('--run and --runs are exclusive, --runs needs --pairwise and two runs, --pairwise takes no rubric', () => {
    expect(judgeMode({ run: 'abc' })).toEqual({ kind: 'pointwise', run: 'abc' });
    expect(judgeMode({ runs: 'a1,b2', pairwise: true })).toEqual({ kind: 'pairwise', runs: ['a1', 'b2'] });
    const code = (o: Parameters<typeof judgeMode>[0]): string => {
      try {
        judgeMode(o);
        return 'ok';
      } catch (err) {
        return `${(err as { code?: string }).code}: ${(err as Error).message}`;
      }
    };
    expect(code({ run: 'a', runs: 'a,b', pairwise: true })).toMatch(/EVALGATE_ERR_BAD_INPUT.*mutually exclusive/);
    expect(code({ runs: 'a,b' })).toMatch(/EVALGATE_ERR_BAD_INPUT.*needs --pairwise/);
    expect(code({ pairwise: true })).toMatch(/EVALGATE_ERR_BAD_INPUT.*needs --runs/);
    expect(code({ runs: 'a,b,c', pairwise: true })).toMatch(/EVALGATE_ERR_BAD_INPUT.*exactly two/);
    expect(code({ runs: 'a,', pairwise: true })).toMatch(/EVALGATE_ERR_BAD_INPUT.*exactly two/);
    expect(code({ runs: 'a,b', pairwise: true, rubric: 'mm-vet' })).toMatch(/EVALGATE_ERR_BAD_INPUT.*--rubric/);
    expect(code({})).toMatch(/EVALGATE_ERR_BAD_INPUT/);
  });
});

describe.each(backends.filter((b) => b.name === 'pglite' || hasPostgres))('evalgate judge --pairwise ($name)', ({ create }) => {
  let ts: TestStore;
  let dir: string;
  let server: JudgeServer;
  let config: EvalgateConfig;
  let runA: string;
  let runB: string;
  const retry = { ...defaultRetryPolicy, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evalgate-judge-pair-'));
    // n judged samples, plus one (index n) that run B fails (no replayed answer).
    const lines = Array.from({ length: n + 1 }, (_, i) => JSON.stringify({ id: keyOf(i), task: 'vqa', question: `Question ${i}?`, reference: `ref ${i}` }));
    await writeFile(join(dir, 'open.jsonl'), lines.join('\n') + '\n');
    const predsA = Array.from({ length: n + 1 }, (_, i) => JSON.stringify({ id: keyOf(i), prediction: `${answerMarker(keyOf(i))} alpha says ${i}` }));
    const predsB = Array.from({ length: n }, (_, i) => JSON.stringify({ id: keyOf(i), prediction: `**beta** says ${i}` }));
    await writeFile(join(dir, 'a.jsonl'), predsA.join('\n') + '\n');
    await writeFile(join(dir, 'b.jsonl'), predsB.join('\n') + '\n');
    server = await startJudgeServer((key, count, req) => pairJudge(key, count, req.prompt));
    config = configSchema.parse({
      cacheDir: join(dir, 'cache'),
      models: [
        { id: 'model-a', adapter: 'predictions', kind: 'generalist', options: { path: join(dir, 'a.jsonl') } },
        { id: 'model-b', adapter: 'predictions', kind: 'generalist', options: { path: join(dir, 'b.jsonl') } },
        { id: 'judge-p', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.baseUrl, model: 'pair-judge' },
        { id: 'judge-q', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.baseUrl, model: 'pair-judge-2' },
      ],
      judge: { model: 'judge-p' },
    });
    ts = await create();
    const runOf = async (modelId: string): Promise<string> => {
      const prepared = await prepareRun(ts.store.db, config, { dataset: join(dir, 'open.jsonl'), modelId }, (m) => createModel(m));
      await executeLocalRun(ts.store.db, prepared, { concurrency: 4, timeoutMs: 5000 });
      return prepared.run.id;
    };
    runA = await runOf('model-a');
    runB = await runOf('model-b');
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await ts?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a run paired with itself, a judge run, or two runs of one model', async () => {
    const make = (runs: string[]) => preparePairJudging(ts.store.db, config, { runs }, (m) => createModel(m));
    await expect(make([runA, runA])).rejects.toMatchObject({ code: 'EVALGATE_ERR_BAD_INPUT' });
    const judged = await prepareJudging(ts.store.db, config, { run: runA, rubric: 'big-bench-audio' }, (m) => createModel(m));
    await expect(make([runA, judged.run.id])).rejects.toMatchObject({ code: 'EVALGATE_ERR_BAD_INPUT' });
    const again = await prepareRun(ts.store.db, config, { dataset: join(dir, 'open.jsonl'), modelId: 'model-a', forceNew: true }, (m) => createModel(m));
    await expect(make([runA, again.run.id])).rejects.toThrow(/both runs of model model-a/);
    expect(await listArenaVotes(ts.store.db, { source: 'judge' })).toHaveLength(0);
  });

  it('stops mid-way, then the same request judges only the rest; never a duplicate vote; garbage never votes', async () => {
    const prepared = await preparePairJudging(ts.store.db, config, { runs: [runA.slice(0, 8), runB] }, (m) => createModel(m));
    expect(prepared.resumed).toBe(false);
    const abort = new AbortController();
    let stored = 0;
    const first = await executePairJudging(ts.store.db, prepared, {
      concurrency: 1,
      timeoutMs: 5000,
      retry,
      signal: abort.signal,
      onAnswer: () => {
        if (++stored === 4) abort.abort();
      },
    });
    expect(first.status).toBe('cancelled');
    const votesFirst = await listArenaVotes(ts.store.db, { judgeRunId: prepared.run.id });
    expect(votesFirst.length).toBeGreaterThan(0);
    const okFirst = (
      await ts.store.db
        .selectFrom('predictions as p')
        .innerJoin('samples as s', 's.id', 'p.sample_id')
        .select('s.sample_key')
        .where('p.run_id', '=', prepared.run.id)
        .where('p.status', '=', 'ok')
        .execute()
    ).map((r) => r.sample_key);
    expect(okFirst.length).toBeGreaterThanOrEqual(3);
    const asked = new Map(okFirst.map((k) => [k, server.count(k)]));

    const again = await preparePairJudging(ts.store.db, config, { runs: [runA, runB] }, (m) => createModel(m));
    expect([again.resumed, again.run.id]).toEqual([true, prepared.run.id]);
    const second = await executePairJudging(ts.store.db, again, { concurrency: 3, timeoutMs: 5000, retry });
    for (const [k, c] of asked) expect(server.count(k), k).toBe(c);
    expect(second.status).toBe('completed');

    // By hand from the kinds: 7 samples judged in both orders; garbage, garbage-ba and down failed at the judge.
    expect(second.samples).toEqual({ shared: n, ok: 7, judgeFailed: 3, pending: 0, sourceFailed: 1 });
    // As presented. Alpha first (AB): a-strong ×2 A>>B; first ×2, garbage-ba, flaky A>B; tie; b-better B>A.
    expect(second.orders.AB).toEqual({ verdicts: { 'A>>B': 2, 'A>B': 4, 'A=B': 1, 'B>A': 1, 'B>>A': 0 }, failed: 2 });
    // Beta first (BA): a-strong ×2 B>>A; b-better, first ×2 A>B; tie; flaky B>A; garbage-ba fails too.
    expect(second.orders.BA).toEqual({ verdicts: { 'A>>B': 0, 'A>B': 3, 'A=B': 1, 'B>A': 1, 'B>>A': 2 }, failed: 3 });
    // Position bias: 15 readable games, 2 ties; the answer shown first won 6 (AB) + 3 (BA) of 13; the two `first` pairs flip.
    expect(second.positionBias).toEqual({ games: 15, ties: 2, firstWins: 9, firstWinRate: 9 / 13, unreadable: 5, flips: 2 });
    // Model terms: A wins a-strong ×4, flaky ×2, first-AB ×2, garbage-ba-AB ×1; ties ×2; B wins b-better ×2, first-BA ×2.
    expect(second.summary).toEqual({ wins: 9, ties: 2, losses: 4, votes: 15 });
    expect(formatPairJudgeReport(second)).toContain('won 9 of 13 decided verdicts (69.2%');

    const votes = await listArenaVotes(ts.store.db, { judgeRunId: prepared.run.id });
    expect(votes).toHaveLength(15);
    expect(new Set(votes.map((v) => v.dedupe_key)).size).toBe(15);
    const samples = await ts.store.db.selectFrom('samples').select(['id', 'sample_key']).execute();
    const keyOfId = new Map(samples.map((s) => [s.id, s.sample_key]));
    for (const v of votes) {
      const key = keyOfId.get(v.sample_id!)!;
      expect(['garbage', 'down'], key).not.toContain(kindOf(key));
      const order = v.dedupe_key.slice(-2);
      expect(v.dedupe_key).toBe(`judge:${prepared.run.id}:${v.sample_id}:${order}`);
      expect([v.source, v.voter_key, v.modality, v.judge_run_id]).toEqual(['judge', 'judge-p', 'text', prepared.run.id]);
      expect([v.model_a, v.model_b]).toEqual(order === 'AB' ? ['model-a', 'model-b'] : ['model-b', 'model-a']);
      // Style of the answers as presented: beta's answer carries one bold span.
      expect(v.style).toMatchObject(order === 'AB' ? { a: { bold: 0 }, b: { bold: 1 } } : { a: { bold: 1 }, b: { bold: 0 } });
      if (kindOf(key) === 'garbage-ba') expect(order).toBe('AB');
    }
    // What the judge was sent: Arena-Hard's system prompt, temperature 0, both answers in the shown order.
    const req = server.seen.find((s) => s.key === keyOf(0))!;
    expect([req.system, req.temperature]).toEqual([arenaHardSystemPrompt, 0]);
    expect(req.prompt).toContain("<|The Start of Assistant A's Answer|>\n[answer:p000] alpha says 0");

    // Failed samples are failed predictions at the judge stage, with no score.
    const failed = await ts.store.db
      .selectFrom('predictions as p')
      .innerJoin('samples as s', 's.id', 'p.sample_id')
      .select(['s.sample_key', 'p.error', 'p.output_text'])
      .where('p.run_id', '=', prepared.run.id)
      .where('p.status', '=', 'failed')
      .orderBy('s.sample_key')
      .execute();
    expect(failed.map((f) => [f.sample_key, f.error?.code, f.output_text])).toEqual([
      [keyOf(4), 'judge', null],
      [keyOf(5), 'judge', null],
      [keyOf(9), 'judge', null],
      [keyOf(n), 'source', null],
    ]);
    expect(failed[1]!.error?.message).toMatch(/^order BA: the judge's reply could not be read/);

    // A third execution retries only what failed: garbage-ba is asked only in the B-first order, and no vote doubles.
    const before = server.seen.length;
    const third = await executePairJudging(ts.store.db, await preparePairJudging(ts.store.db, config, { runs: [runA, runB] }, (m) => createModel(m)), {
      concurrency: 2,
      timeoutMs: 5000,
      retry,
    });
    const asked3 = server.seen.slice(before);
    const gb = asked3.filter((s) => s.key === keyOf(5));
    expect(gb.length).toBe(2); // one ask and one re-ask
    for (const s of gb) expect(s.prompt.indexOf('beta')).toBeLessThan(s.prompt.indexOf('alpha'));
    expect(new Set(asked3.map((s) => s.key))).toEqual(new Set([keyOf(4), keyOf(5), keyOf(9)]));
    expect(third.summary.votes).toBe(15);
    expect(await listArenaVotes(ts.store.db, { judgeRunId: prepared.run.id })).toHaveLength(15);
  });

  it('naming the pair the other way round continues the same run in its stored order; a judge may not grade its own answers', async () => {
    const forward = await preparePairJudging(ts.store.db, config, { runs: [runA, runB] }, (m) => createModel(m));
    const reversed = await preparePairJudging(ts.store.db, config, { runs: [runB, runA] }, (m) => createModel(m));
    expect(reversed.resumed).toBe(true);
    expect(reversed.run.id).toBe(forward.run.id);
    expect([reversed.sourceA.id, reversed.sourceB.id]).toEqual([runA, runB]);
    const votes = (await listArenaVotes(ts.store.db, { source: 'judge' })).length;
    await executePairJudging(ts.store.db, reversed, { concurrency: 2, timeoutMs: 5000, retry });
    expect((await listArenaVotes(ts.store.db, { source: 'judge' })).length).toBe(votes);
    const selfJudge = configSchema.parse({ ...config, judge: { model: 'model-b' } });
    await expect(preparePairJudging(ts.store.db, selfJudge, { runs: [runA, runB] }, (m) => createModel(m))).rejects.toThrow(
      /the judge model-b is one of the compared models/,
    );
  });

  it('records the judge settings and the two runs; the run scores as A’s win rate; compare warns on a different judge', async () => {
    const prepared = await preparePairJudging(ts.store.db, config, { runs: [runA, runB] }, (m) => createModel(m));
    const cfg = prepared.run.config as unknown as PairJudgeRunConfig;
    expect(prepared.run.task).toBe('judge-pair');
    expect(cfg.sourceRuns.a).toMatchObject({ runId: runA, modelId: 'model-a' });
    expect(cfg.sourceRuns.b).toMatchObject({ runId: runB, modelId: 'model-b' });
    expect(cfg.judge).toMatchObject({ modelId: 'judge-p', temperature: 0, samples: 1, parseRule: 'arena-hard-verdict', orders: ['AB', 'BA'] });
    expect(cfg.judge.promptTemplate).toContain('{answerA}');
    const other = await preparePairJudging(ts.store.db, config, { runs: [runA, runB], judge: 'judge-q' }, (m) => createModel(m));
    expect(other.run.id).not.toBe(prepared.run.id);
    await executePairJudging(ts.store.db, other, { concurrency: 3, timeoutMs: 5000, retry });
    const cmp = compareRuns(await loadRunOutcomes(ts.store.db, [prepared.run.id, other.run.id]), { iterations: 50 });
    expect(cmp.warnings.join('\n')).toContain('different judge modelId (judge-p vs judge-q)');
    // The judged run's metric: 7 ok samples, per-sample A score averaged (a-strong 1 ×2, b-better 0, tie ½, first ½ ×2, flaky 1).
    const fresh = await ts.store.db.selectFrom('runs').select('summary').where('id', '=', prepared.run.id).executeTakeFirstOrThrow();
    expect(fresh.summary).toMatchObject({ samples: { ok: 7 } });
    expect([cmp.metric, cmp.sharedSamples]).toEqual(['win_rate', 7]);
    expect(cmp.overall.runs[0]!.value.estimate).toBeCloseTo(4.5 / 7, 12);
  });
});
