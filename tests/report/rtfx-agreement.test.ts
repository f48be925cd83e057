import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRuns } from '../../gateway/compare/compare-runs.js';
import { formatComparison } from '../../gateway/compare/format-comparison.js';
import { loadRunOutcomes } from '../../gateway/compare/load-run-outcomes.js';
import { configSchema } from '../../gateway/config/config-schema.js';
import { ModelCallError } from '../../gateway/models/spec/model-call-error.js';
import type { ModelRequest, ModelResult, ModelV1 } from '../../gateway/models/spec/model-v1.js';
import { writeRunsReport } from '../../gateway/report/write-runs-report.js';
import { formatRtfx } from '../../gateway/rtfx.js';
import { executeLocalRun } from '../../gateway/runner/execute-run.js';
import { formatRunReport } from '../../gateway/runner/format-report.js';
import { prepareRun } from '../../gateway/runner/prepare-run.js';
import { buildRunReport } from '../../gateway/runner/score-run.js';
import { silentWav } from '../helpers/silent-wav.js';
import { createPgliteTestStore, type TestStore } from '../helpers/test-stores.js';

const references: Record<string, string> = { a0: 'the cat sat', a1: 'hello world', a2: 'one two three', a3: 'rate limits happen', a4: 'good night' };

/**
 * An in-process ASR model under test: answers by file name after `delayMs`,
 * refuses `fails` for good (401) and asks for one retry on `retried` (429),
 * so a sample's total latency holds a backoff its model call does not.
 */
function scriptedModel(name: string, delayMs: number, fails: string, retried: string): ModelV1 {
  const calls = new Map<string, number>();
  return {
    specificationVersion: 'v1',
    adapter: 'in-test',
    adapterVersion: '0.0.1',
    modelName: name,
    capabilities: { text: true, audio: true, image: false, multipleImages: false, video: false, streaming: false, realtime: false },
    async doGenerate(request: ModelRequest): Promise<ModelResult> {
      const audio = request.parts.find((p) => p.type === 'audio');
      const key = basename(audio?.type === 'audio' ? (audio.path ?? '') : '', '.wav');
      const n = (calls.get(key) ?? 0) + 1;
      calls.set(key, n);
      await new Promise((r) => setTimeout(r, delayMs));
      if (key === fails) throw new ModelCallError('invalid api key', { statusCode: 401 });
      if (key === retried && n === 1) throw new ModelCallError('slow down', { statusCode: 429, retryAfterMs: 30 });
      return { text: references[key] ?? '', warnings: [] };
    },
  };
}

describe('one RTFx per run in run, compare and the HTML report', () => {
  let ts: TestStore;
  let dir: string;
  let runA: string;
  let runB: string;

  beforeAll(async () => {
    ts = await createPgliteTestStore();
    dir = await mkdtemp(join(tmpdir(), 'evalgate-rtfx-'));
    // Clips of different lengths, so a mean of per-sample ratios would differ from the ratio of sums.
    const seconds: Record<string, number> = { a0: 1, a1: 2, a2: 0.5, a3: 1.5, a4: 1 };
    for (const [key, s] of Object.entries(seconds)) await writeFile(join(dir, `${key}.wav`), silentWav(s));
    const manifest = join(dir, 'asr.jsonl');
    await writeFile(
      manifest,
      Object.entries(references)
        .map(([id, reference]) => JSON.stringify({ id, task: 'asr', audio: `${id}.wav`, reference }))
        .join('\n'),
    );
    const config = configSchema.parse({
      models: [
        { id: 'asr-a', adapter: 'in-test', kind: 'generalist' },
        { id: 'asr-b', adapter: 'in-test', kind: 'specialist' },
      ],
    });
    const run = async (modelId: string, model: ModelV1): Promise<string> => {
      const prepared = await prepareRun(ts.store.db, config, { dataset: manifest, modelId }, () => Promise.resolve(model));
      await executeLocalRun(ts.store.db, prepared, {
        concurrency: 2,
        timeoutMs: 5000,
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 50 },
      });
      return prepared.run.id;
    };
    // The runs fail different samples, so the samples they share (a0, a1, a3) are fewer than either run's answers.
    runA = await run('asr-a', scriptedModel('a', 20, 'a2', 'a3'));
    runB = await run('asr-b', scriptedModel('b', 10, 'a4', 'a1'));
  }, 120_000);
  afterAll(async () => {
    await ts?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints the same figure in each, and it is audio ÷ model-call seconds over the answered samples', async () => {
    const db = ts.store.db;
    const shown = new Map<string, string>();
    for (const id of [runA, runB]) {
      const run = await db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const text = formatRunReport(await buildRunReport(db, run));
      const m = /RTFx: (\S+) \(/.exec(text);
      expect(m, text).not.toBeNull();
      shown.set(id, m![1]!);

      // The definition, from the stored rows: ok samples only, their audio over their successful calls.
      const rows = await db.selectFrom('predictions').selectAll().where('run_id', '=', id).where('status', '=', 'ok').execute();
      expect(rows).toHaveLength(4);
      const audioS = rows.reduce((s, r) => s + (r.audio_seconds ?? 0), 0);
      const callS = rows.reduce((s, r) => s + (r.latency_request_ms ?? 0), 0) / 1000;
      expect(m![1]).toBe(formatRtfx(audioS / callS));
    }

    const comparison = compareRuns(await loadRunOutcomes(db, [runA, runB]), { samples: 5 });
    expect(comparison.sharedSamples).toBe(3);
    const compareText = formatComparison(comparison);
    for (const id of [runA, runB]) {
      const row = compareText.split('\n').find((l) => l.startsWith(`${id.slice(0, 8)}  `));
      expect(row, compareText).toBeDefined();
      expect(row!.trim().split(/\s+/).at(-1)).toBe(shown.get(id));
    }

    const out = join(dir, 'report', 'report.html');
    await writeRunsReport(db, { runIds: [runA, runB], out });
    const html = await readFile(out, 'utf8');
    const cells = [...html.matchAll(/<td class="rtfx">([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(cells).toEqual([shown.get(runA), shown.get(runB)]);
  });
});
