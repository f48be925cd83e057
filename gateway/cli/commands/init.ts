import type { Command } from 'commander';
import { runAction } from '../run-action.js';

interface InitOptions {
  readonly dir?: string;
  readonly force?: boolean;
  readonly json?: boolean;
}

/**
 * The configuration `init` writes: the default folders spelled out (so a
 * reader sees where the database lives) and one example model. JSON has no
 * comments, so the example is a real, valid entry: an OpenAI-compatible
 * model whose key is read from OPENAI_API_KEY only when it is called. The
 * bundled presets (pp-ocrv4, pocketsphinx) need no entry.
 */
export const initialConfig = {
  database: { pgliteDir: '.evalgate/db' },
  cacheDir: '.evalgate/cache',
  models: [
    {
      id: 'gpt-4o-mini',
      adapter: 'openai-chat',
      kind: 'generalist',
      baseUrl: 'https://api.openai.com/v1',
      model: 'gpt-4o-mini',
      apiKeyEnv: 'OPENAI_API_KEY',
    },
  ],
} as const;

export default function register(program: Command): void {
  program
    .command('init')
    .description(
      'make a folder an evalgate project: write evalgate.config.json and create the migrated embedded database in .evalgate/ (commands run in it or any subfolder use them)',
    )
    .option('--dir <folder>', 'project folder, created if missing (default: the current folder)')
    .option('--force', 'overwrite an existing evalgate.config.json (the database is kept)')
    .option('--json', 'print JSON')
    .action(
      runAction(async (opts: InitOptions) => {
        const { existsSync } = await import('node:fs');
        const { mkdir, rename, rm, writeFile } = await import('node:fs/promises');
        const { dirname, join, resolve } = await import('node:path');
        const { EvalgateError } = await import('../../errors.js');
        const { defaultConfigFile, findProjectHome } = await import('../../config/project-home.js');
        const { loadProject } = await import('../../config/load-config.js');
        const { storeFromConfig } = await import('../../store/store-from-config.js');

        const dir = resolve(opts.dir ?? '.');
        const configFile = join(dir, defaultConfigFile);
        const existed = existsSync(configFile);
        if (existed && !opts.force) {
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `${configFile} already exists; keep it, or pass --force to overwrite it` });
        }
        // A project inside another one takes over its subtree: say so, since commands there stop seeing the outer database.
        const parent = dirname(dir) === dir ? undefined : findProjectHome(dirname(dir));
        const outer = parent && parent.source !== 'default' ? parent.dir : undefined;

        await mkdir(dir, { recursive: true });
        // The configuration is written under a temporary name and renamed into place only once its database exists
        // and is migrated: a failed init (the database down) leaves no project half made, and a plain init can run again.
        const pending = join(dir, `.${defaultConfigFile}.${process.pid}.tmp`);
        await writeFile(pending, `${JSON.stringify(initialConfig, null, 2)}\n`);
        let database: { backend: string; location: string };
        let cacheDir: string;
        try {
          // Loaded back as any command would load it: the file is validated, and environment overrides apply. A new
          // project elsewhere is meant: a database in this folder is no sign that --config moved one (moved-project-data.ts).
          const { config } = loadProject({ file: pending, warn: false });
          cacheDir = config.cacheDir;
          await mkdir(config.cacheDir, { recursive: true });
          const store = await storeFromConfig(config, { migrate: true });
          database = { backend: store.backend, location: store.location };
          await store.close();
          await rename(pending, configFile);
        } finally {
          await rm(pending, { force: true });
        }

        const result = { home: dir, configFile, overwritten: existed, database, cacheDir, insideProject: outer ?? null };
        if (opts.json) return result;
        return [
          `${existed ? 'overwrote' : 'wrote'} ${configFile}`,
          `database: ${database.backend} (${database.location}), migrated`,
          ...(outer ? [`note: ${dir} is inside the project ${outer}; commands run here now use this project instead`] : []),
          '',
          'Next:',
          '  npx evalgate models list                                   # configured models and bundled presets',
          '  npx evalgate run --model pp-ocrv4 --dataset manifest.jsonl  # see docs/datasets.md for the manifest',
          '  npx evalgate doctor                                        # which project, configuration and database are in use',
        ].join('\n');
      }),
    );
}
