// A new user's first hour through the compiled bin (issue 19): the bundled experts by name in a folder with
// no configuration, one project home found from any subfolder, `init`, `models list` and `doctor`.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, spawnCli } from '../helpers/run-cli.js';

const demoImages = fileURLToPath(new URL('../../datasets/demo/images/', import.meta.url));

/** The environment without anything that would point the CLI at another database or configuration. */
function cleanEnv(): NodeJS.ProcessEnv {
  const { DATABASE_URL: _u, EVALGATE_CONFIG: _c, EVALGATE_DB_DIR: _d, EVALGATE_CACHE_DIR: _k, ...env } = process.env;
  return env;
}

const temps: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  temps.push(dir);
  return dir;
}

function cli(args: string[], cwd: string): ReturnType<typeof spawnCli> {
  return spawnCli(args, { cwd, env: cleanEnv() });
}

beforeAll(() => {
  if (!existsSync(cliBin)) throw new Error(`${cliBin} is missing: run \`npm run build\` first`);
});
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

describe('a folder with no configuration', () => {
  let home = '';
  let runId = '';

  beforeAll(async () => {
    // A new user's own small OCR set: two images and a manifest, nothing else.
    home = await tempDir('evalgate-newuser-');
    await mkdir(join(home, 'images', 'scans'), { recursive: true });
    await copyFile(join(demoImages, 'en-text-01.png'), join(home, 'images', 'open.png'));
    await copyFile(join(demoImages, 'en-text-02.png'), join(home, 'images', 'bread.png'));
    await writeFile(
      join(home, 'manifest.jsonl'),
      [
        { id: 'open', task: 'ocr', image: 'images/open.png', reference: 'OPEN 24 HOURS' },
        { id: 'bread', task: 'ocr', image: 'images/bread.png', reference: 'Fresh Bread Daily' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
  });

  it('runs the pp-ocrv4 preset by name on the manifest and gets a scored run', { timeout: 180_000 }, async () => {
    const r = await cli(['run', '--model', 'pp-ocrv4', '--dataset', 'manifest.jsonl', '--json'], home);
    expect(r.stderr).not.toContain('EVALGATE_ERR');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { runId: string; status: string; modelId: string; counts: Record<string, number>; metrics: Record<string, number> };
    expect(report).toMatchObject({ status: 'completed', modelId: 'pp-ocrv4', counts: { ok: 2, failed: 0 } });
    // PP-OCRv4 reads these clean synthetic lines (near-)perfectly: a real score, not a placeholder.
    expect(report.metrics.norm_edit_dis).toBeGreaterThan(0.8);
    expect(report.metrics.exact_match).toBeGreaterThanOrEqual(0.5);
    runId = report.runId;
    expect(existsSync(join(home, 'evalgate.config.json'))).toBe(false);
    expect(existsSync(join(home, '.evalgate', 'db'))).toBe(true);
  });

  it('a command run from a subfolder opens the same database: the run is there', async () => {
    expect(runId).not.toBe('');
    const sub = join(home, 'images', 'scans');
    const r = await cli(['runs', 'list', '--json'], sub);
    expect(r.code).toBe(0);
    const listed = JSON.parse(r.stdout) as { runs: { runId: string; modelId: string }[] };
    expect(listed.runs.map((x) => x.runId)).toContain(runId);
    // No second, empty database was made where the command ran.
    expect(existsSync(join(sub, '.evalgate'))).toBe(false);
  });

  it('doctor, from the subfolder, names the home it found upward and its database', async () => {
    const sub = join(home, 'images', 'scans');
    const r = await cli(['doctor', '--json'], sub);
    const report = JSON.parse(r.stdout) as { project: Record<string, unknown> };
    expect(report.project).toEqual({
      home,
      foundBy: 'parent',
      cwd: sub,
      configFile: null,
      database: { backend: 'pglite', location: join(home, '.evalgate', 'db'), exists: true },
      cacheDir: join(home, '.evalgate', 'cache'),
      // No database left behind where --config would have moved it from (gateway/config/moved-project-data.ts).
      moved: [],
    });
    const text = await cli(['doctor'], sub);
    expect(text.stdout).toMatch(new RegExp(`^ok +home +${home} \\(found by searching upward`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`^ok +database +PGlite ${join(home, '.evalgate', 'db')}$`, 'm'));
  });

  it('an id that is neither configured nor a preset says where to look', async () => {
    const r = await cli(['run', '--model', 'no-such-model', '--dataset', 'manifest.jsonl'], home);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('neither declared in the configuration nor a bundled preset');
    expect(r.stderr).toContain('[EVALGATE_ERR_MODEL_NOT_CONFIGURED]');
  });
});

describe('evalgate models list', () => {
  it('shows the presets, marked as such, with no configuration', async () => {
    const dir = await tempDir('evalgate-list-');
    const r = await cli(['models', 'list', '--json'], dir);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.stdout) as { models: { id: string; source: string; adapter: string; available: boolean; unavailableReason: string | null }[] })
      .models;
    expect(rows.find((m) => m.id === 'pp-ocrv4')).toMatchObject({ source: 'preset', adapter: 'ppocr', available: true, unavailableReason: null });
    expect(rows.find((m) => m.id === 'pocketsphinx')).toMatchObject({ source: 'preset', adapter: 'pocketsphinx' });
    expect(rows.map((m) => m.id)).toEqual(expect.arrayContaining(['demo/pp-ocrv4', 'demo/pp-ocrv4-no-pad', 'demo/pocketsphinx']));
    expect(rows.every((m) => m.source === 'preset')).toBe(true);
    const text = await cli(['models', 'list'], dir);
    expect(text.stdout).toMatch(/^ID +SOURCE +ADAPTER/);
    expect(text.stdout).toMatch(/^pp-ocrv4 +preset +ppocr /m);
  });

  it('a preset whose engine is missing is listed with the reason', async () => {
    const dir = await tempDir('evalgate-list-');
    // PATH without pocketsphinx_continuous (node is started by absolute path).
    const r = await spawnCli(['models', 'list'], { cwd: dir, env: { ...cleanEnv(), PATH: dir } });
    expect(r.stdout).toMatch(/^pocketsphinx +preset +pocketsphinx .* no \(see below\)$/m);
    expect(r.stdout).toContain('pocketsphinx is unavailable here: pocketsphinx_continuous is not on PATH; install it with `apt-get install pocketsphinx');
  });

  it('configured models come first, marked config; one with a preset id replaces the preset', async () => {
    const dir = await tempDir('evalgate-list-');
    await writeFile(
      join(dir, 'evalgate.config.json'),
      JSON.stringify({
        models: [
          { id: 'mine', adapter: 'openai-chat', kind: 'generalist', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' },
          { id: 'pp-ocrv4', adapter: 'ppocr', kind: 'specialist', model: 'my weights', options: { padForDetection: false } },
        ],
      }),
    );
    const rows = (
      JSON.parse((await cli(['models', 'list', '--json'], dir)).stdout) as { models: { id: string; source: string; model: string; overridesPreset: boolean }[] }
    ).models;
    expect(rows.slice(0, 2)).toMatchObject([
      { id: 'mine', source: 'config', overridesPreset: false },
      { id: 'pp-ocrv4', source: 'config', model: 'my weights', overridesPreset: true },
    ]);
    expect(rows.filter((m) => m.id === 'pp-ocrv4')).toHaveLength(1);
    const text = await cli(['models', 'list'], dir);
    expect(text.stdout).toMatch(/^pp-ocrv4 +config \(overrides preset\) +ppocr/m);
  });
});

describe('evalgate init', () => {
  it('creates the configuration and the migrated database, and refuses to overwrite without --force', { timeout: 180_000 }, async () => {
    const dir = await tempDir('evalgate-init-');
    const first = await cli(['init', '--json'], dir);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      home: dir,
      configFile: join(dir, 'evalgate.config.json'),
      overwritten: false,
      database: { backend: 'pglite', location: join(dir, '.evalgate', 'db') },
    });
    const written = await readFile(join(dir, 'evalgate.config.json'), 'utf8');
    // Migrated: a command that reads the database works on it straight away.
    const runs = await cli(['runs', 'list', '--json'], dir);
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout)).toEqual({ runs: [] });
    // The example model in the written file is valid and listed as configured.
    const listed = JSON.parse((await cli(['models', 'list', '--json'], dir)).stdout) as { models: { id: string; source: string }[] };
    expect(listed.models[0]).toMatchObject({ id: 'gpt-4o-mini', source: 'config' });

    const again = await cli(['init'], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists; keep it, or pass --force to overwrite it');
    expect(again.stderr).toContain('[EVALGATE_ERR_BAD_INPUT]');
    await writeFile(join(dir, 'evalgate.config.json'), '{"models": []}\n');
    expect(await readFile(join(dir, 'evalgate.config.json'), 'utf8')).not.toBe(written);
    const forced = await cli(['init', '--force', '--json'], dir);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ overwritten: true });
    expect(await readFile(join(dir, 'evalgate.config.json'), 'utf8')).toBe(written);
  });

  it('--dir makes another folder the project, and a subfolder of it finds it', { timeout: 120_000 }, async () => {
    const dir = await tempDir('evalgate-init-');
    const r = await cli(['init', '--dir', 'proj'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(dir, 'proj', 'evalgate.config.json')}`);
    await mkdir(join(dir, 'proj', 'data'));
    const doctor = JSON.parse((await cli(['doctor', '--json'], join(dir, 'proj', 'data'))).stdout) as { project: Record<string, unknown> };
    expect(doctor.project).toMatchObject({ home: join(dir, 'proj'), foundBy: 'parent', configFile: join(dir, 'proj', 'evalgate.config.json') });
  });

  it('documents its options in --help', async () => {
    const r = await cli(['init', '--help'], tmpdir());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--force');
    expect(r.stdout).toContain('--dir <folder>');
  });
});
