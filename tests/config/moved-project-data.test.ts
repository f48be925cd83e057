// Review finding: with `--config FILE`, relative database and journal paths resolve against the file's folder
// since the project home (0ad2ce2); before, they resolved against the folder the command ran in. A service
// that relied on <cwd>/.evalgate/db silently got a new empty database. It is now told so, naming both folders.
import { cpSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import registerDoctor from '../../gateway/cli/commands/doctor.js';
import registerInit from '../../gateway/cli/commands/init.js';
import { loadProject } from '../../gateway/config/load-config.js';
import { runCommandInProcess } from '../helpers/run-cli.js';

/** A fresh folder under the temp dir (real path: macOS's /var is a link). */
function freshDir(prefix: string): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/** Environment without the variables that would override the paths under test. */
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };

let realDb: string;
beforeAll(async () => {
  // One real PGlite database, copied where each case needs "a database at the old place".
  realDb = join(freshDir('evalgate-moved-src-'), 'db');
  const pg = await PGlite.create(realDb);
  await pg.query('create table t (x int)');
  await pg.close();
}, 60_000);

/** <root>/service (the working folder, holding .evalgate/db when `oldDb`) and <root>/etc/evalgate.json. */
function layout(opts: { oldDb: boolean; config?: Record<string, unknown> }): { cwd: string; file: string; root: string } {
  const root = freshDir('evalgate-moved-');
  const cwd = join(root, 'service');
  mkdirSync(cwd);
  if (opts.oldDb) cpSync(realDb, join(cwd, '.evalgate', 'db'), { recursive: true });
  mkdirSync(join(root, 'etc'));
  const file = join(root, 'etc', 'evalgate.json');
  writeFileSync(file, JSON.stringify(opts.config ?? {}));
  return { cwd, file, root };
}

describe('a database left at the old, working-folder-relative place', () => {
  it('is reported naming both folders and the two ways to keep it, when --config lives elsewhere', () => {
    const { cwd, file, root } = layout({ oldDb: true });
    const lines: string[] = [];
    const p = loadProject({ cwd, file, env, warn: (l) => lines.push(l) });
    expect(p.config.database.pgliteDir).toBe(join(root, 'etc', '.evalgate', 'db'));
    expect(p.moved).toEqual([
      expect.objectContaining({ kind: 'database', key: 'database.pgliteDir', used: join(root, 'etc', '.evalgate', 'db'), old: join(cwd, '.evalgate', 'db') }),
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(join(root, 'etc', '.evalgate', 'db'));
    expect(lines[0]).toContain(join(cwd, '.evalgate', 'db'));
    expect(lines[0]).toContain(`"database.pgliteDir": "${join(cwd, '.evalgate', 'db')}"`);
    expect(lines[0]).toMatch(/move that folder/);
  });

  it('a relative pgliteDir written in the file is compared at the place it meant before', () => {
    const { cwd, file } = layout({ oldDb: false, config: { database: { pgliteDir: 'state/pg' } } });
    cpSync(realDb, join(cwd, 'state', 'pg'), { recursive: true });
    const p = loadProject({ cwd, file, env, warn: false });
    expect(p.moved.map((m) => m.old)).toEqual([join(cwd, 'state', 'pg')]);
  });

  it('nothing when the old place holds no database (missing, or a folder without PG_VERSION)', () => {
    const none = layout({ oldDb: false });
    expect(loadProject({ cwd: none.cwd, file: none.file, env, warn: false }).moved).toEqual([]);
    const empty = layout({ oldDb: false });
    mkdirSync(join(empty.cwd, '.evalgate', 'db'), { recursive: true });
    writeFileSync(join(empty.cwd, '.evalgate', 'db', 'stray.txt'), 'x');
    expect(loadProject({ cwd: empty.cwd, file: empty.file, env, warn: false }).moved).toEqual([]);
  });

  it('nothing when the old and the resolved place are the same folder', () => {
    // The config file in the working folder itself: old and new resolve alike.
    const { cwd } = layout({ oldDb: true });
    writeFileSync(join(cwd, 'evalgate.config.json'), '{}');
    expect(loadProject({ cwd, file: 'evalgate.config.json', env, warn: false }).moved).toEqual([]);
    // The fix the warning suggests: the old folder written as an absolute path.
    const fixed = layout({ oldDb: true });
    writeFileSync(fixed.file, JSON.stringify({ database: { pgliteDir: join(fixed.cwd, '.evalgate', 'db') } }));
    const p = loadProject({ cwd: fixed.cwd, file: fixed.file, env, warn: false });
    expect(p.config.database.pgliteDir).toBe(join(fixed.cwd, '.evalgate', 'db'));
    expect(p.moved).toEqual([]);
    // EVALGATE_DB_DIR resolves against the working folder, as it always did.
    const byEnv = layout({ oldDb: true });
    expect(loadProject({ cwd: byEnv.cwd, file: byEnv.file, env: { ...env, EVALGATE_DB_DIR: '.evalgate/db' }, warn: false }).moved).toEqual([]);
  });

  it('nothing about the embedded database when DATABASE_URL selects PostgreSQL', () => {
    const { cwd, file } = layout({ oldDb: true });
    expect(loadProject({ cwd, file, env: { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' }, warn: false }).moved).toEqual([]);
  });

  it('live results journaled at the old place are reported too, unless EVALGATE_LIVE_JOURNAL_DIR names the journal', () => {
    const { cwd, file, root } = layout({ oldDb: false });
    mkdirSync(join(cwd, '.evalgate', 'journal'), { recursive: true });
    writeFileSync(join(cwd, '.evalgate', 'journal', 'live@host-1-abc-def.jsonl'), '{}\n');
    const p = loadProject({ cwd, file, env, warn: false });
    expect(p.moved).toEqual([
      expect.objectContaining({
        kind: 'journal',
        key: 'live.journalDir',
        old: join(cwd, '.evalgate', 'journal'),
        used: join(root, 'etc', '.evalgate', 'journal'),
      }),
    ]);
    expect(loadProject({ cwd, file, env: { ...env, EVALGATE_LIVE_JOURNAL_DIR: '/somewhere' }, warn: false }).moved).toEqual([]);
  });
});

describe('where the warning is shown', () => {
  afterEach(() => vi.restoreAllMocks());

  it('on stderr once per process by default, however often the configuration is loaded', () => {
    const { cwd, file, root } = layout({ oldDb: true });
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (writes.push(String(s)), true));
    loadProject({ cwd, file, env });
    loadProject({ cwd, file, env });
    vi.restoreAllMocks();
    const ours = writes.filter((w) => w.includes(root));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/^warning: the embedded database in use is /);
  });

  it('init --dir elsewhere says nothing about the database of the folder it runs in (a new project is meant)', async () => {
    const { cwd, root } = layout({ oldDb: true });
    const saved = process.cwd();
    process.chdir(cwd);
    try {
      const out = await runCommandInProcess(registerInit, ['init', '--dir', join(root, 'fresh'), '--json']);
      expect(out.exitCode ?? 0).toBe(0);
      expect(out.stderr).not.toContain('warning');
      // The same configuration loaded by a later command run from here does report it.
      const lines: string[] = [];
      loadProject({ cwd, file: join(root, 'fresh', 'evalgate.config.json'), env, warn: (l) => lines.push(l) });
      expect(lines).toHaveLength(1);
    } finally {
      process.chdir(saved);
    }
  }, 60_000);

  it('doctor: a WARN line and project.moved in --json; the check stays ok and nothing goes to stderr', async () => {
    const { cwd, file, root } = layout({ oldDb: true });
    const saved = process.cwd();
    process.chdir(cwd);
    try {
      const json = await runCommandInProcess(registerDoctor, ['--config', file, 'doctor', '--json']);
      const report = JSON.parse(json.stdout) as {
        project: { moved: unknown[] };
        checks: { name: string; ok: boolean; warning?: boolean; detail: string }[];
      };
      expect(report.project.moved).toEqual([
        { kind: 'database', key: 'database.pgliteDir', used: join(root, 'etc', '.evalgate', 'db'), old: join(cwd, '.evalgate', 'db') },
      ]);
      const warned = report.checks.filter((c) => c.warning);
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ name: 'database', ok: true });
      expect(warned[0]!.detail).toContain(join(cwd, '.evalgate', 'db'));
      expect(json.stderr).not.toContain(root);

      const text = await runCommandInProcess(registerDoctor, ['--config', file, 'doctor']);
      expect(text.stdout).toMatch(new RegExp(`^WARN database +the embedded database in use is ${join(root, 'etc')}`, 'm'));

      // A folder without the old database: no WARN line.
      const clean = layout({ oldDb: false });
      process.chdir(clean.cwd);
      const none = JSON.parse((await runCommandInProcess(registerDoctor, ['--config', clean.file, 'doctor', '--json'])).stdout) as typeof report;
      expect(none.project.moved).toEqual([]);
      expect(none.checks.filter((c) => c.warning)).toEqual([]);
    } finally {
      process.chdir(saved);
    }
  }, 60_000);
});
