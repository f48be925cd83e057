import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Where a process's journal lives when the config names no folder. */
export const defaultJournalDir = '.evalgate/journal';

/** Journal files of this process that are open, across module reloads (vitest) and several apps per process. */
const openFilesKey = Symbol.for('evalgate.liveJournal.openFiles');
const openFiles: Set<string> = ((globalThis as Record<symbol, unknown>)[openFilesKey] as Set<string> | undefined) ??
  ((globalThis as Record<symbol, unknown>)[openFilesKey] = new Set<string>());

const fileRe = /^live-(\d+)-[0-9a-z-]+\.jsonl$/;

function newFileName(): string {
  return `live-${process.pid}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}.jsonl`;
}

/** Whether a process with this pid is running (EPERM: it runs as another user). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An append-only JSONL file of write batches that the database could not take,
 * one file per process (and per live gateway) in a shared folder. Each append
 * is fsync'd before it resolves, so a batch in the journal survives kill -9 and
 * power loss. The file is created on the first append (a gateway whose
 * database never fails writes nothing), truncated whenever everything in it
 * has reached the database, and removed on a clean close.
 *
 * A file whose owner is gone (its pid no longer runs, or it is this pid but no
 * open journal of this process holds it: a restarted container reuses pid 1)
 * is an orphan; {@link claimOrphans} takes it over by an atomic rename, so two
 * gateways starting together never replay the same file twice.
 */
export class LiveJournal {
  readonly #dir: string;
  readonly #path: string;
  #fh: FileHandle | undefined;
  /** Appends, truncates and the close run one at a time, in call order. */
  #chain: Promise<unknown> = Promise.resolve();
  #hasData = false;

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
   * Takes over the journals that stopped processes left in the folder and
   * returns their records in file order (a torn last line from a kill is
   * skipped). Each orphan is renamed to a claim name first (atomic: only one
   * claimant wins), its records are copied into this journal (fsync'd), and
   * then it is removed; a crash in between leaves records that replay twice,
   * which the database writes absorb (they are idempotent).
   */
  async claimOrphans(onBadLine: (file: string, err: unknown) => void = () => undefined): Promise<unknown[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: unknown[] = [];
    for (const name of names.sort()) {
      const m = fileRe.exec(name);
      if (!m) continue;
      const file = join(this.#dir, name);
      const pid = Number(m[1]);
      if (openFiles.has(file) || (pid !== process.pid && pidAlive(pid))) continue;
      const claimed = join(this.#dir, newFileName());
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
