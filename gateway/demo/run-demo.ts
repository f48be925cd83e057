import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { EvalgateConfig, ModelConfig } from '../config/config-schema.js';
import type { Database, Dataset, SampleTask } from '../store/database.js';
import { storeFromConfig } from '../store/store-from-config.js';
import { bundledPresets } from '../config/bundled-presets.js';
import { findModelConfig } from '../config/find-model-config.js';
import { datasetTasks } from '../store/run-scope-repo.js';
import { silentProgress, type ProgressFactory } from '../progress-sink.js';
import { isTaskName, taskNames, taskSpecs } from '../../scorers/tasks/index.js';

/** Options of the quick start. */
export interface DemoOptions {
  /** Validated configuration (the demo uses its database settings and any configured models). */
  readonly config: EvalgateConfig;
  /** Where report.html goes. */
  readonly reportPath: string;
  /** Samples per task. */
  readonly limit?: number;
  /** Machine-readable summary, no progress bars. */
  readonly json: boolean;
  /** Progress bars for the import and each run (the CLI passes its terminal bar; default silent). */
  readonly progress?: ProgressFactory;
  /** Environment to read the optional generalist from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** One run the demo made. */
interface DemoRun {
  readonly modelId: string;
  readonly task: SampleTask;
  readonly runId: string;
  readonly counts: Readonly<Record<string, number>> | object;
  readonly metrics: Readonly<Record<string, unknown>>;
}

/** The bundled demo manifest, from source or from dist. */
export function demoManifestPath(): string {
  for (const rel of ['../../datasets/demo/manifest.jsonl', '../../../datasets/demo/manifest.jsonl']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('the bundled demo set (datasets/demo/manifest.jsonl) is missing from this installation');
}

/** The models the demo runs, and the reasons the others were skipped. */
interface DemoPlan {
  readonly planned: { model: ModelConfig; tasks: SampleTask[] }[];
  readonly skipped: string[];
}

/**
 * The bundled `demo/…` presets that can run here (gateway/config/bundled-presets.ts, the same table
 * `run --model` and `models list` use), plus an OpenAI-compatible generalist when OPENAI_BASE_URL is
 * set. A model the user configured with a preset's id replaces it, as everywhere else.
 */
function demoModels(config: EvalgateConfig, env: NodeJS.ProcessEnv): DemoPlan {
  const planned: { model: ModelConfig; tasks: SampleTask[] }[] = [];
  const skipped: string[] = [];
  for (const preset of bundledPresets.filter((p) => p.demo)) {
    const found = findModelConfig(config, preset.model.id, env);
    if (!found) continue;
    if (!found.availability.available) skipped.push(`${preset.model.id} (${preset.tasks.join(', ')}): ${found.availability.reason}`);
    else planned.push({ model: found.model, tasks: [...preset.tasks] });
  }
  if (env.OPENAI_BASE_URL) {
    planned.push({
      model: {
        id: 'demo/openai-compatible',
        adapter: 'openai-chat',
        kind: 'generalist',
        baseUrl: env.OPENAI_BASE_URL,
        model: env.OPENAI_MODEL ?? 'gpt-4o-mini',
        apiKeyEnv: env.OPENAI_API_KEY ? 'OPENAI_API_KEY' : undefined,
        options: {},
      },
      // A generalist answers every task.
      tasks: [...taskNames],
    });
  } else {
    skipped.push('generalist: set OPENAI_BASE_URL (and OPENAI_API_KEY, OPENAI_MODEL) to add an OpenAI-compatible model');
  }
  return { planned, skipped };
}

async function importDemoSet(db: Kysely<Database>, progress: ProgressFactory): Promise<{ dataset: Dataset; imported: boolean }> {
  const [{ parseManifest }, repo] = await Promise.all([import('../../datasets/parse-manifest.js'), import('../store/dataset-repo.js')]);
  const manifest = await parseManifest(demoManifestPath());
  const existing = await repo.findDataset(db, 'demo');
  const { prepareDataset } = await import('../../datasets/prepare-dataset.js');
  if (existing) {
    // Reuse the stored set only when it is byte-for-byte the bundled one (its root computed by the digest version it recorded).
    const { digestVersionOf } = await import('../../datasets/dataset-digest.js');
    const prepared = await prepareDataset(manifest, { digestVersion: digestVersionOf(existing.digest_version) });
    if (prepared.manifestDigest === existing.manifest_digest && existing.merkle_root === prepared.merkleRoot) return { dataset: existing, imported: false };
  }
  const name = existing ? `demo-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}` : 'demo';
  const bar = progress('import demo set', manifest.samples.length);
  try {
    const dataset = await repo.importDataset(db, manifest, { name, meta: { source: 'bundled demo set' }, onProgress: () => bar.increment() });
    return { dataset, imported: true };
  } finally {
    bar.stop();
  }
}

/**
 * The README's main job, offline on the embedded database: import the demo
 * set, run the local specialists (and a generalist configured by
 * environment), measure VAD, compare, and write report.html.
 */
export async function runDemo(opts: DemoOptions): Promise<unknown> {
  const env = opts.env ?? process.env;
  const store = await storeFromConfig(opts.config);
  const log = (line: string): void => {
    if (!opts.json) process.stderr.write(`${line}\n`);
  };
  try {
    const db = store.db;
    log(`database: ${store.backend} (${store.location})`);
    const { dataset, imported } = await importDemoSet(db, opts.progress ?? silentProgress);
    log(
      `dataset: ${dataset.name} (${dataset.sample_count} samples, ${imported ? 'imported' : 'already imported'}; Merkle root ${dataset.merkle_root.slice(0, 12)}…)`,
    );

    const { planned, skipped } = demoModels(opts.config, env);
    // The generalist comes from the environment, not from the configuration or the presets: it is added here.
    const config: EvalgateConfig = {
      ...opts.config,
      models: [...opts.config.models, ...planned.map((p) => p.model).filter((m) => !findModelConfig(opts.config, m.id, env))],
    };
    const tasksPresent = new Set(await datasetTasks(db, dataset.id));

    const [{ prepareRun }, { executeLocalRun }, { createModel }] = await Promise.all([
      import('../runner/prepare-run.js'),
      import('../runner/execute-run.js'),
      import('../models/create-model.js'),
    ]);
    const runs: DemoRun[] = [];
    for (const p of planned) {
      for (const task of p.tasks.filter((t) => tasksPresent.has(t))) {
        // Each task's demo scorer options (asr: WeNet's mixed unit for English and Mandarin speech).
        const scorer = { ...taskSpecs[task].demoScorer };
        const prepared = await prepareRun(db, config, { dataset: dataset.id, modelId: p.model.id, task, limit: opts.limit, scorer }, (m) => createModel(m));
        let bar = (opts.progress ?? silentProgress)(`${p.model.id} ${task}`, 0);
        try {
          const result = await executeLocalRun(db, prepared, {
            concurrency: p.model.adapter === 'openai-chat' ? 4 : 2,
            timeoutMs: 120_000,
            onStart: (n) => {
              bar.stop();
              bar = (opts.progress ?? silentProgress)(`${p.model.id} ${task}`, n);
            },
            onOutcome: (o) => bar.increment(1, o.status === 'failed' ? 1 : 0),
          });
          runs.push({ modelId: p.model.id, task, runId: prepared.run.id, counts: result.report.counts, metrics: result.report.metrics ?? {} });
        } finally {
          bar.stop();
          await prepared.model.close?.();
        }
      }
    }

    const vad = [...tasksPresent].some(hearsAudio) ? await measureVad(db, dataset, opts.limit) : undefined;

    const [{ loadRunOutcomes }, { compareRuns }, { writeReportFile }] = await Promise.all([
      import('../compare/load-run-outcomes.js'),
      import('../compare/compare-runs.js'),
      import('../report/write-report-file.js'),
    ]);
    const sections = [];
    const comparisons: Record<string, unknown> = {};
    for (const task of [...new Set(runs.map((r) => r.task))].sort()) {
      const ids = runs.filter((r) => r.task === task).map((r) => r.runId);
      const outcomes = await loadRunOutcomes(db, ids);
      const comparison = compareRuns(outcomes, { by: 'tag', samples: 10, allowSingle: true });
      comparisons[task] = {
        metric: comparison.metric,
        sharedSamples: comparison.sharedSamples,
        runs: comparison.overall.runs.map((r) => ({ model: r.modelId, value: r.value })),
        differences: comparison.overall.differences,
      };
      sections.push({ comparison, runs: outcomes, heading: `${task} on ${dataset.name}` });
    }
    const reportPath = resolve(opts.reportPath);
    const notes = [
      `Dataset ${dataset.name}: ${dataset.sample_count} samples, manifest digest ${dataset.manifest_digest}, Merkle root ${dataset.merkle_root}.`,
      ...(vad
        ? [
            `Silero VAD v5 over ${vad.files} ASR clips: ${vad.segments} speech segments, ${vad.speechS.toFixed(1)} s of speech in ${vad.audioS.toFixed(1)} s of audio, RTFx ${vad.rtfx.toFixed(0)}.`,
          ]
        : []),
      ...skipped.map((s) => `Skipped: ${s}.`),
    ];
    // Media of the disagreements are copied beside the file, so its links work wherever it is moved with them.
    await writeReportFile(db, reportPath, { title: 'evalgate demo report', sections, notes });

    const summary = {
      database: { backend: store.backend, location: store.location },
      dataset: { name: dataset.name, samples: dataset.sample_count, merkleRoot: dataset.merkle_root },
      runs,
      vad,
      comparisons,
      skipped,
      report: reportPath,
    };
    if (opts.json) return summary;
    const lines = ['', 'evalgate demo: done', ''];
    for (const r of runs) {
      const m = r.metrics as Record<string, number | undefined>;
      const headline = taskSpecs[r.task].headline(m, taskSpecs[r.task].demoScorer);
      lines.push(
        `  ${r.modelId.padEnd(26)} ${r.task.padEnd(4)} ${headline}  (ok ${(r.counts as Record<string, number>).ok ?? 0}, failed ${(r.counts as Record<string, number>).failed ?? 0})  run ${r.runId}`,
      );
    }
    if (vad) lines.push(`  VAD (Silero v5)            ${vad.segments} segments over ${vad.files} clips, RTFx ${vad.rtfx.toFixed(0)}`);
    for (const s of skipped) lines.push(`  skipped: ${s}`);
    lines.push('', 'Where to look:');
    lines.push(`  report:       ${reportPath}`);
    lines.push(`  runs:         npx evalgate runs list`);
    // Point at the task most models ran (the demo's OCR pair, joined by a generalist when one is set).
    const byTask = [...new Set(runs.map((r) => r.task))].map((task) => ({ task, ids: runs.filter((r) => r.task === task).map((r) => r.runId) }));
    const compared = byTask.sort((x, y) => y.ids.length - x.ids.length || x.task.localeCompare(y.task))[0];
    if (compared && compared.ids.length >= 2) lines.push(`  compare:      npx evalgate compare --runs ${compared.ids.join(',')} --samples`);
    lines.push(`  leaderboard:  npx evalgate leaderboard --task ${compared?.task ?? 'ocr'}`);
    lines.push(`  web page:     npx evalgate serve --no-auth   (then open http://127.0.0.1:8080/)`);
    return lines.join('\n');
  } finally {
    await store.close();
  }
}

/** Whether a task's samples carry speech for the VAD to measure (it requires audio). */
function hearsAudio(task: string): boolean {
  return isTaskName(task) && taskSpecs[task].sample.requiredMedia === 'audio';
}

/** Runs the VAD specialist over the demo's audio samples and reports what it found and how fast. */
async function measureVad(
  db: Kysely<Database>,
  dataset: Dataset,
  limit?: number,
): Promise<{ files: number; segments: number; speechS: number; audioS: number; rtfx: number }> {
  const [{ listSamples, sampleMediaPath }, { decodeAudioFile }, { createSileroVad }] = await Promise.all([
    import('../store/dataset-repo.js'),
    import('../media/decode-audio.js'),
    import('../../experts/vad/silero-vad-segmenter.js'),
  ]);
  const samples = (await listSamples(db, dataset.id)).filter((s) => hearsAudio(s.task)).slice(0, limit);
  const vad = await createSileroVad();
  let segments = 0;
  let speechS = 0;
  let audioS = 0;
  let procMs = 0;
  for (const s of samples) {
    const media = s.media.find((m) => m.kind === 'audio');
    if (!media) continue;
    const audio = await decodeAudioFile(sampleMediaPath(dataset, media), { sampleRateHz: 16000 });
    const t0 = performance.now();
    const events = [...(await vad.push(audio.samples, audio.sampleRateHz)), ...(await vad.flush())];
    procMs += performance.now() - t0;
    audioS += audio.durationS;
    let start: number | undefined;
    for (const e of events) {
      if (e.type === 'speech_start') start = e.timeS;
      else if (start !== undefined) {
        segments++;
        speechS += e.timeS - start;
        start = undefined;
      }
    }
  }
  return { files: samples.length, segments, speechS, audioS, rtfx: procMs > 0 ? audioS / (procMs / 1000) : 0 };
}
