// The project home (issue 19): the configuration and the embedded database are found from any
// subfolder, and relative paths in the file mean the same thing wherever a command runs.
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../gateway/config/load-config.js';
import { findProjectHome } from '../../gateway/config/project-home.js';

/** A fresh folder under the temp dir (real path: macOS's /var is a link). */
function freshDir(prefix: string): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

describe('findProjectHome', () => {
  it('finds the nearest folder holding evalgate.config.json, searching upward from a subfolder', () => {
    const home = freshDir('evalgate-home-');
    writeFileSync(join(home, 'evalgate.config.json'), '{}');
    const sub = join(home, 'data', 'images');
    mkdirSync(sub, { recursive: true });
    expect(findProjectHome(sub)).toEqual({ dir: home, source: 'parent', configFile: join(home, 'evalgate.config.json'), cwd: sub });
    expect(findProjectHome(home)).toMatchObject({ dir: home, source: 'cwd' });
  });

  it('never takes the temp folder or the root as a parent home: a stray .evalgate/ there captures no scratch folder', () => {
    // A fake temp folder holding a .evalgate/ (as a command run in /tmp would leave), with a scratch folder under it.
    const fakeTmp = freshDir('evalgate-tmp-');
    mkdirSync(join(fakeTmp, '.evalgate', 'db'), { recursive: true });
    const scratch = join(fakeTmp, 'scratch');
    mkdirSync(scratch);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = fakeTmp;
    try {
      expect(findProjectHome(scratch)).toEqual({ dir: scratch, source: 'default', cwd: scratch });
      // Run in the temp folder itself, its own .evalgate/ is the home.
      expect(findProjectHome(fakeTmp)).toMatchObject({ dir: fakeTmp, source: 'cwd' });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    // With the real temp folder, the same layout is an ordinary parent home.
    expect(findProjectHome(scratch)).toMatchObject({ dir: fakeTmp, source: 'parent' });
  });

  it('a .evalgate/ folder alone (a database made without a config file) marks the home too', () => {
    const home = freshDir('evalgate-home-');
    mkdirSync(join(home, '.evalgate', 'db'), { recursive: true });
    const sub = join(home, 'data');
    mkdirSync(sub);
    const found = findProjectHome(sub);
    expect(found).toMatchObject({ dir: home, source: 'parent' });
    expect(found.configFile).toBeUndefined();
  });

  it('the nearest home wins over an outer one', () => {
    const outer = freshDir('evalgate-home-');
    writeFileSync(join(outer, 'evalgate.config.json'), '{}');
    const inner = join(outer, 'inner');
    mkdirSync(join(inner, '.evalgate'), { recursive: true });
    mkdirSync(join(inner, 'x'));
    expect(findProjectHome(join(inner, 'x')).dir).toBe(inner);
  });

  it('with nothing found up to the root, the current folder is the home', () => {
    const dir = freshDir('evalgate-nohome-');
    expect(findProjectHome(dir)).toEqual({ dir, source: 'default', cwd: dir });
  });

  it('an explicit configuration file makes its own folder the home', () => {
    const dir = freshDir('evalgate-explicit-');
    expect(findProjectHome('/', join(dir, 'my.json'))).toMatchObject({ dir, source: 'config', configFile: join(dir, 'my.json') });
  });
});

describe('loadProject', () => {
  it('resolves relative paths of the file against the home, not the folder the command runs in', () => {
    const home = freshDir('evalgate-paths-');
    writeFileSync(
      join(home, 'evalgate.config.json'),
      JSON.stringify({
        database: { pgliteDir: 'state/db' },
        cacheDir: 'state/cache',
        live: { journalDir: 'state/journal' },
        models: [
          { id: 'ocr', adapter: 'ppocr', kind: 'specialist', options: { modelDir: 'weights/ppocr' } },
          { id: 'replay', adapter: 'predictions', kind: 'generalist', options: { path: 'preds.jsonl' } },
          { id: 'ps', adapter: 'pocketsphinx', kind: 'specialist', options: { binary: './bin/pocketsphinx_continuous' } },
          { id: 'ps-path', adapter: 'pocketsphinx', kind: 'specialist', options: { binary: 'pocketsphinx_continuous' } },
          { id: 'oa', adapter: 'openai-chat', kind: 'generalist', options: { path: '/v1/chat/completions' } },
        ],
      }),
    );
    const sub = join(home, 'data');
    mkdirSync(sub);
    const { config, home: found } = loadProject({ cwd: sub, env: {} });
    expect(found).toMatchObject({ dir: home, source: 'parent' });
    expect(config.database.pgliteDir).toBe(join(home, 'state/db'));
    expect(config.cacheDir).toBe(join(home, 'state/cache'));
    expect(config.live.journalDir).toBe(join(home, 'state/journal'));
    const options = Object.fromEntries(config.models.map((m) => [m.id, m.options]));
    expect(options.ocr).toEqual({ modelDir: join(home, 'weights/ppocr') });
    expect(options.replay).toEqual({ path: join(home, 'preds.jsonl') });
    expect(options.ps).toEqual({ binary: join(home, 'bin/pocketsphinx_continuous') });
    // A bare executable name is looked up on PATH, and the OpenAI path is a URL path: both left alone.
    expect(options['ps-path']).toEqual({ binary: 'pocketsphinx_continuous' });
    expect(options.oa).toEqual({ path: '/v1/chat/completions' });
  });

  it('paths from environment variables resolve against the working folder; absolute ones stay', () => {
    const home = freshDir('evalgate-env-');
    writeFileSync(join(home, 'evalgate.config.json'), '{}');
    const sub = join(home, 'sub');
    mkdirSync(sub);
    const { config } = loadProject({ cwd: sub, env: { EVALGATE_DB_DIR: 'mydb', EVALGATE_CACHE_DIR: '/abs/cache' } });
    expect(config.database.pgliteDir).toBe(join(sub, 'mydb'));
    expect(config.cacheDir).toBe('/abs/cache');
  });

  it('EVALGATE_CONFIG wins over the search, and its folder is the home', () => {
    const project = freshDir('evalgate-envcfg-');
    writeFileSync(join(project, 'other.json'), JSON.stringify({ database: { pgliteDir: 'db2' } }));
    const elsewhere = freshDir('evalgate-elsewhere-');
    writeFileSync(join(elsewhere, 'evalgate.config.json'), JSON.stringify({ database: { pgliteDir: 'ignored' } }));
    const { config, home } = loadProject({ cwd: elsewhere, env: { EVALGATE_CONFIG: join(project, 'other.json') } });
    expect(home).toMatchObject({ dir: project, source: 'config' });
    expect(config.database.pgliteDir).toBe(join(project, 'db2'));
  });
});
