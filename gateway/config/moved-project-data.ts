import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ProjectHome } from './project-home.js';

// Until the project home (0ad2ce2), relative paths in the configuration were
// opened against the folder a command ran in, whatever file `--config` named.
// Now they resolve against the file's folder, so a service started as
// `cd /srv/app && evalgate --config /etc/evalgate/config.json serve` with the
// default `pgliteDir` silently opened a new, empty database next to the file
// and left its old one (and any live results journaled during an outage) at
// /srv/app/.evalgate. Nothing is moved or opened automatically: either place
// could be the one meant, so the command says where both are.

/** Data left where the configuration's relative path pointed before it resolved against the project home. */
export interface MovedProjectData {
  /** `database`: an embedded PGlite database; `journal`: live results journaled during a database outage, not yet written. */
  readonly kind: 'database' | 'journal';
  /** The absolute folder now in use. */
  readonly used: string;
  /** The folder the same setting named before (relative to the working folder), which holds data. */
  readonly old: string;
  /** The configuration key to set to an absolute path to keep the old folder. */
  readonly key: 'database.pgliteDir' | 'live.journalDir';
  /** One line for people: both folders and the two ways to keep the old one. */
  readonly message: string;
}

/** What {@link findMovedProjectData} compares: each setting as written and as resolved. */
export interface WrittenAndUsedPaths {
  /** `database.pgliteDir` as written (file or default), or undefined when `database.url` selects PostgreSQL. */
  readonly pgliteDir?: { readonly written: string; readonly used: string };
  /** `live.journalDir` as written (or its default `.evalgate/journal`); undefined when the environment overrides it. */
  readonly journalDir?: { readonly written: string; readonly used: string };
}

/** Whether `dir` holds a PostgreSQL (PGlite) data folder: PG_VERSION is written by initdb, first. */
export function holdsDatabase(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION'));
}

/** Whether `dir` holds journal files (`*.jsonl`, see gateway/live/live-journal.ts): results a gateway could not write yet. */
function holdsJournal(dir: string): boolean {
  try {
    return readdirSync(dir).some((name) => name.endsWith('.jsonl'));
  } catch {
    return false;
  }
}

function describe(kind: MovedProjectData['kind'], key: MovedProjectData['key'], used: string, old: string): string {
  const what = kind === 'database' ? 'embedded database' : 'live journal (results not yet written to the database)';
  return (
    `warning: the ${what} in use is ${used}, but ${old} also holds one: relative paths in a --config file now resolve against the file's folder, ` +
    `not the folder the command runs in. To keep using ${old}, set "${key}": "${old}" (an absolute path) in the configuration, or move that folder to ${used}.`
  );
}

/**
 * Data at the place a setting pointed before relative paths resolved against
 * the project home (`resolve(home.cwd, written)`), when that differs from the
 * folder now used and holds data: a PGlite database (PG_VERSION) or
 * journal files. Empty when both are the same folder or nothing is
 * there. A database in use at both places is no reason to warn, so a folder
 * that is itself the one now used never counts.
 */
export function findMovedProjectData(home: ProjectHome, paths: WrittenAndUsedPaths): MovedProjectData[] {
  const found: MovedProjectData[] = [];
  const check = (kind: MovedProjectData['kind'], key: MovedProjectData['key'], written: string, used: string, holds: (dir: string) => boolean): void => {
    const old = resolve(home.cwd, written);
    if (old !== resolve(used) && holds(old)) found.push({ kind, key, used: resolve(used), old, message: describe(kind, key, resolve(used), old) });
  };
  if (paths.pgliteDir) check('database', 'database.pgliteDir', paths.pgliteDir.written, paths.pgliteDir.used, holdsDatabase);
  if (paths.journalDir) check('journal', 'live.journalDir', paths.journalDir.written, paths.journalDir.used, holdsJournal);
  return found;
}

const warned = new Set<string>();

/** Writes each message to stderr once per process (the configuration is loaded more than once by some commands). */
export function warnMovedProjectDataOnce(found: readonly MovedProjectData[]): void {
  for (const f of found) {
    if (warned.has(f.message)) continue;
    warned.add(f.message);
    process.stderr.write(`${f.message}\n`);
  }
}
