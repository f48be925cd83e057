import { existsSync } from 'node:fs';
import { cp, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

// A PGlite cold start (initdb inside WASM) takes ~4 s on an idle machine and
// far more on two busy cores, while reopening an existing folder takes ~2 s.
// Tests that need a fresh embedded database folder copy one initialised
// folder (no evalgate schema: the processes under test migrate it themselves).

const pgliteVersion = (PGlite as unknown as { version?: string }).version ?? 'x';
const templateDir = join(tmpdir(), `evalgate-pglite-template-${process.getuid?.() ?? 0}-${pgliteVersion}`);

/** Creates `dest` as a copy of an initialised, empty PGlite data folder. */
export async function freshPgliteDir(dest: string): Promise<void> {
  if (!existsSync(join(templateDir, 'PG_VERSION'))) {
    const building = await mkdtemp(`${templateDir}.building-`);
    const db = await PGlite.create(building);
    await db.close();
    // Whoever renames first wins; a loser's copy is just as good, and is removed.
    await rename(building, templateDir).catch(() => rm(building, { recursive: true, force: true }));
  }
  await cp(templateDir, dest, { recursive: true });
}
