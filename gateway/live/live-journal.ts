import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { pidAlive } from '../pid-alive.js';

/** Where a process's journal lives when the config names no folder. */
export const defaultJournalDir = '.evalgate/journal';

/** Journal files of this process that are open, across module reloads (vitest) and several apps per process. */
const openFilesKey = Symbol.for('evalgate.liveJournal.openFiles');
const openFiles: Set<string> =
  ((globalThis as Record<symbol, unknown>)[openFilesKey] as Set<string> | undefined) ??
  ((globalThis as Record<symbol, unknown>)[openFilesKey] = new Set<string>());

/**
 * This host in a file name: a journal folder can be shared by machines (an NFS
 * data folder), and a pid means something only on the host that issued it.
 * Characters a file name may not hold (or that this parser uses) become `_`.
 */
export const journalHost = sanitiseHost(hostname());

function sanitiseHost(host: string): string {
  return host.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'unknown';
}

// live@<host>-<pid>-<time36>-<rand>.jsonl; the host may hold dashes, the last
// three fields never do. Before hosts were named: live-<pid>-<time36>-<rand>.jsonl.
const fileRe = /^live@([A-Za-z0-9._-]+)-(\d+)-([0-9a-z]+)-([0-9a-z]+)\.jsonl$/;
const oldFileRe = /^live-(\d+)-([0-9a-z]+)[0-9a-z-]*\.jsonl$/;

function newFileName(timeMs = Date.now()): string {
  return `live@${journalHost}-${process.pid}-${timeMs.toString(36)}-${randomBytes(4).toString('hex')}.jsonl`;
}

/** A journal file's owner and creation time, read from its name (`host` undefined: an old name, this host's). */
interface JournalName {
  readonly name: string;
  readonly host: string | undefined;
  readonly pid: number;
  readonly timeMs: number;
}

function parseName(name: string): JournalName | undefined {
  const m = fileRe.exec(name);
  if (m) return { name, host: m[1]!, pid: Number(m[2]), timeMs: parseInt(m[3]!, 36) };
  const o = oldFileRe.exec(name);
  if (o) return { name, host: undefined, pid: Number(o[1]), timeMs: parseInt(o[2]!, 36) };
  return undefined;
}

/** Ascending creation time; an unreadable time sorts last. */
function byTime(a: number, b: number): number {
  const fa = Number.isFinite(a);
  const fb = Number.isFinite(b);
  if (fa && fb) return a - b;
  return fa === fb ? 0 : fa ? -1 : 1;
}

/**
 * An append-only JSONL file of write batches that the database could not take,
 * one file per process (and per live gateway) in a shared folder. Each append
 * is fsync'd before it resolves, so a batch in the journal survives kill -9 and
 * power loss. The file is created on the first append (a gateway whose
 * database never fails writes nothing), truncated whenever everything in it
 * has reached the database, and removed on a clean close.
 *
 * Names carry the host, the pid and the creation time. A file of this host
 * (or an old name without a host) whose owner is gone (its pid no longer runs,
 * or it is this pid but no open journal of this process holds it: a restarted
 * container reuses pid 1) is an orphan; {@link claimOrphans} takes it over by
 * an atomic rename, so two gateways starting together never replay the same
 * file twice. Files of other hosts are never claimed.
 */
export class LiveJournal {
  readonly #dir: string;
  readonly #path: string;
  #fh: FileHandle | undefined;
  /** Appends, truncates and the close run one at a time, in call order. */
  #chain: Promise<unknown> = Promise.resolve();
  #hasData = false;
  /** Other hosts' journals already reported to claimOrphans's `onForeign`. */
  readonly #reportedForeign = new Set<string>();

  constructor(dir: string) {
    this.#dir = resolve(dir);
    this.#path = join(this.#dir, newFileName());
    openFiles.add(this.#path);
  }

  /** The journal file (it exists only once something was appended). */
  get path(): string {
    return this.#path;
  }

  /** Appends one record and resolves once it is on disk (fdatasync). */
  append(record: unknown): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    return this.#run(async () => {
      if (!this.#fh) {
        await mkdir(this.#dir, { recursive: true });
        this.#fh = await open(this.#path, 'a', 0o600);
      }
      await this.#fh.write(line);
      await this.#fh.datasync();
      this.#hasData = true;
    });
  }

  /** Empties the file: everything in it has reached the database. */
  truncate(): Promise<void> {
    return this.#run(async () => {
      if (!this.#fh || !this.#hasData) return;
      await this.#fh.truncate(0);
      await this.#fh.datasync();
      this.#hasData = false;
    });
  }

  /**
   * Closes the file. With `keep` (batches still waiting for the database) the
   * file stays for the next start to replay; otherwise it is removed.
   */
  close(keep: boolean): Promise<void> {
    return this.#run(async () => {
      await this.#fh?.close();
      if (this.#fh && !keep) await unlink(this.#path).catch(() => undefined);
      this.#fh = undefined;
      openFiles.delete(this.#path);
    });
  }

  /**
   * Takes over the journals that stopped processes of this host left in the
   * folder and returns their records, oldest journal first (by the creation
   * time in its name, then by name), each in file order (a torn last line from
   * a kill is skipped). Each orphan is renamed to a claim name first (atomic:
   * only one claimant wins), its records are copied into this journal
   * (fsync'd), and then it is removed; a crash in between leaves records that
   * replay twice, which the database writes absorb (they are idempotent).
   *
   * A file named for another host is never touched: whether its pid runs can
   * only be known there (its gateway may be alive). It is reported once to
   * `onForeign` and left for a gateway on that host to claim.
   */
  async claimOrphans(
    onBadLine: (file: string, err: unknown) => void = () => undefined,
    onForeign: (file: string, host: string) => void = () => undefined,
  ): Promise<unknown[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const journals: JournalName[] = [];
    for (const name of names) {
      const j = parseName(name);
      if (!j) continue;
      if (j.host !== undefined && j.host !== journalHost) {
        if (!this.#reportedForeign.has(name)) {
          this.#reportedForeign.add(name);
          onForeign(name, j.host);
        }
        continue;
      }
      journals.push(j);
    }
    // Oldest first: batches of an earlier process must not land after a later one's.
    journals.sort((a, b) => byTime(a.timeMs, b.timeMs) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const out: unknown[] = [];
    for (const { name, pid, timeMs } of journals) {
      const file = join(this.#dir, name);
      if (openFiles.has(file) || (pid !== process.pid && pidAlive(pid))) continue;
      // The claim keeps the orphan's creation time, so a crash mid-claim leaves it in its place in that order.
      const claimed = join(this.#dir, newFileName(Number.isFinite(timeMs) ? timeMs : undefined));
      openFiles.add(claimed);
      try {
        try {
          await rename(file, claimed);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // another gateway claimed it
          throw err;
        }
        const records: unknown[] = [];
        for (const line of (await readFile(claimed, 'utf8')).split('\n')) {
          if (line.trim() === '') continue;
          try {
            records.push(JSON.parse(line));
          } catch (err) {
            onBadLine(name, err);
          }
        }
        for (const r of records) await this.append(r);
        await unlink(claimed);
        out.push(...records);
      } finally {
        openFiles.delete(claimed);
      }
    }
    return out;
  }

  #run(step: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(step);
    this.#chain = next.catch(() => undefined);
    return next;
  }
}
