import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { compareLimits } from '../../gateway/compare/compare-pool.js';
import { createApiKey } from '../../gateway/store/api-key-repo.js';
import { createApp } from '../../gateway/server/create-app.js';
import { createPgliteTestStore, createPostgresTestStore, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { expectHealthzResponsive, quantile } from '../helpers/healthz-probes.js';

// Finding 14: one viewer request held the event loop for seconds. The bound: /healthz under 50 ms
// while the heaviest comparison allowed runs.
const HEALTHZ_BOUND_MS = 50;
const SAMPLES = 80;
const TAGS = ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7'];

async function seed(ts: TestStore): Promise<string[]> {
  const db = ts.store.db;
  const ds = await db
    .insertInto('datasets')
    .values({ name: 'load', manifest_digest: 'd', merkle_root: 'm', sample_count: SAMPLES })
    .returning('id')
    .executeTakeFirstOrThrow();
  const words = 'the quick brown fox jumps over the lazy dog again and again'.split(' ');
  const samples = await db
    .insertInto('samples')
    .values(
      Array.from({ length: SAMPLES }, (_, i) => ({
        dataset_id: ds.id,
        sample_key: `s${String(i).padStart(4, '0')}`,
        task: 'asr',
        reference: JSON.stringify(words.join(' ')),
        tags: JSON.stringify([TAGS[i % TAGS.length]]),
        media: JSON.stringify([]),
        sample_digest: `d${i}`,
      })),
    )
    .returning('id')
    .execute();
  const runs: string[] = [];
  for (let r = 0; r < compareLimits.maxRuns; r++) {
    await db
      .insertInto('models')
      .values({ id: `m${r}`, adapter: 'test', kind: r % 2 ? 'specialist' : 'generalist', model: null, base_url: null })
      .execute();
    const run = await db
      .insertInto('runs')
      .values({
        model_id: `m${r}`,
        dataset_id: ds.id,
        task: 'asr',
        status: 'completed',
        config: JSON.stringify({}),
        config_hash: `h${r}`,
        dataset_digest: 'd',
        evalgate_version: '0.1.0',
        finished_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    runs.push(run.id);
    await db
      .insertInto('predictions')
      .values(
        samples.map((s, i) => ({
          run_id: run.id,
          sample_id: s.id,
          status: 'ok' as const,
          // Each run drops a different word on a different share of samples, so every pair disagrees somewhere.
          output_text: words.filter((_, w) => (i * 7 + r * 3) % 5 !== 0 || w !== (r + i) % words.length).join(' '),
          attempts: 1,
          latency_total_ms: 100 + ((i * 13 + r) % 50),
        })),
      )
      .execute();
  }
  return runs;
}

describe('comparison statistics stay off the event loop (finding 14)', () => {
  let ts: TestStore;
  let app: FastifyInstance;
  let base: string;
  let viewer: string;
  let runs: string[];

  beforeAll(async () => {
    ts = (await postgresAvailable()) ? await createPostgresTestStore() : await createPgliteTestStore();
    runs = await seed(ts);
    viewer = (await createApiKey(ts.store.db, { scopes: ['viewer'] })).key;
    app = await createApp({ config: configSchema.parse({ server: { auth: true }, logLevel: 'silent' }), store: ts.store });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await ts?.dispose();
  });

  const get = (path: string): Promise<Response> => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${viewer}` } });

  it('refuses more runs or iterations than the caps with a 400 naming the cap; duplicates count once', async () => {
    const nine = [...runs, '00000000-0000-0000-0000-000000000000'];
    const tooMany = await get(`/v1/compare?runs=${nine.join(',')}`);
    expect(tooMany.status).toBe(400);
    const body = (await tooMany.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('EVALGATE_ERR_BAD_INPUT');
    expect(body.error.message).toContain(`at most ${compareLimits.maxRuns} distinct runs`);

    const iters = await get(`/v1/compare?runs=${runs.slice(0, 2).join(',')}&iterations=20000`);
    expect(iters.status).toBe(400);
    expect(((await iters.json()) as { error: { message: string } }).error.message).toContain(`at most ${compareLimits.maxIterations}`);
    for (const path of ['/v1/leaderboard?task=asr&iterations=20000', '/v1/compare/kinds?task=asr&iterations=20000']) expect((await get(path)).status).toBe(400);

    // The request: 100 ids, all duplicates of two runs.
    const dup = Array.from({ length: 100 }, (_, i) => runs[i % 2]);
    const ok = await get(`/v1/compare?runs=${dup.join(',')}&iterations=10`);
    expect(ok.status).toBe(200);
    const c = (await ok.json()) as { overall: { runs: unknown[] } };
    expect(c.overall.runs).toHaveLength(2);
  });

  it('answers /healthz under 50 ms while the heaviest allowed comparison runs', async () => {
    const heavy = `/v1/compare?runs=${runs.join(',')}&by=tag&samples=500&iterations=${compareLimits.maxIterations}`;
    /** One heavy comparison with /healthz probed every 20 ms until it answers: the probes' round trips, sorted. */
    const measure = async (): Promise<number[]> => {
      let done = false;
      const t0 = performance.now();
      const compare = get(heavy).then(async (r) => {
        done = true;
        return { status: r.status, body: (await r.json()) as { sharedSamples: number; breakdown: unknown[]; disagreements: unknown[] } };
      });
      const probes: number[] = [];
      while (!done) {
        const s = performance.now();
        const r = await fetch(`${base}/healthz`);
        await r.arrayBuffer();
        // Every probe counts, the one that overlaps the end of the comparison (its main-thread part) too.
        probes.push(performance.now() - s);
        await new Promise((res) => setTimeout(res, 20));
      }
      const result = await compare;
      const compareMs = performance.now() - t0;
      expect(result.status).toBe(200);
      expect(result.body.sharedSamples).toBe(SAMPLES);
      expect(result.body.breakdown).toHaveLength(TAGS.length);
      const sorted = [...probes].sort((a, b) => a - b);
      console.log(
        `heaviest compare (${runs.length} runs × ${SAMPLES} samples, ${TAGS.length} tags, ${compareLimits.maxIterations} iterations) took ${compareMs.toFixed(0)} ms; ` +
          `${probes.length} /healthz probes meanwhile: p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p90 ${quantile(sorted, 0.9).toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`,
      );
      // The comparison must have lasted long enough for the probes to mean something.
      expect(probes.length).toBeGreaterThanOrEqual(5);
      return sorted;
    };
    await expectHealthzResponsive(base, HEALTHZ_BOUND_MS, measure);
  });
});
