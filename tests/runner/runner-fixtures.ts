import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type EvalgateConfig } from '../../gateway/config/config-schema.js';
import { sampleMarker } from './scripted-openai-server.js';

/** One multiple-choice sample of a test manifest. */
export interface McqFixtureSample {
  /** Manifest id. */
  readonly id: string;
  /** Question (carries the `[sample:id]` marker the scripted server reads). */
  readonly question: string;
  /** Options. */
  readonly choices: string[];
  /** Correct letter. */
  readonly answer: string;
}

/** A manifest of `n` text-only multiple-choice samples in a fresh folder. */
export async function writeMcqManifest(
  n: number,
  prefix = 's',
): Promise<{ dir: string; manifestPath: string; samples: McqFixtureSample[]; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'evalgate-runner-'));
  const samples: McqFixtureSample[] = Array.from({ length: n }, (_, i) => {
    const id = `${prefix}${String(i).padStart(4, '0')}`;
    return {
      id,
      question: `${sampleMarker(id)} Which number comes after ${i}?`,
      choices: [`${i + 1}`, `${i + 2}`, `${i + 3}`, `${i + 4}`],
      answer: 'ABCD'.charAt(i % 4),
    };
  });
  const manifestPath = join(dir, 'mcq.jsonl');
  await writeFile(manifestPath, samples.map((s) => JSON.stringify({ ...s, task: 'mcq' })).join('\n') + '\n');
  return { dir, manifestPath, samples, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** A validated, frozen configuration with one OpenAI-compatible model. */
export function configWithModel(baseUrl: string, extra: { databaseUrl?: string; pgliteDir?: string; cacheDir?: string } = {}): EvalgateConfig {
  return configSchema.parse({
    database: { ...(extra.databaseUrl ? { url: extra.databaseUrl } : {}), ...(extra.pgliteDir ? { pgliteDir: extra.pgliteDir } : {}) },
    ...(extra.cacheDir ? { cacheDir: extra.cacheDir } : {}),
    models: [{ id: 'scripted', adapter: 'openai-chat', kind: 'generalist', baseUrl, model: 'scripted-model' }],
  });
}

/** Model answers: sample i answers its correct letter, except every `wrongEvery`-th one. */
export function answersFor(samples: readonly McqFixtureSample[], wrongEvery = 3): Record<string, string> {
  return Object.fromEntries(
    samples.map((s, i) => {
      const wrong = 'ABCD'.charAt(('ABCD'.indexOf(s.answer) + 1) % 4);
      return [s.id, i % wrongEvery === 1 ? `The answer is ${wrong}.` : `${s.answer}`];
    }),
  );
}
