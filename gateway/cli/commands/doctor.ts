import type { Command } from 'commander';
import { redactDatabaseUrl } from '../../store/redact-database-url.js';
import { runAction } from '../run-action.js';

/** One line of the doctor's report. */
interface Check {
  readonly name: string;
  readonly ok: boolean;
  /** Worth acting on, but nothing fails (printed WARN; `ok` stays true). */
  readonly warning?: true;
  readonly detail: string;
}

/** How `doctor` words the way the project home was found. */
const homeSourceText = {
  cwd: 'this folder holds evalgate.config.json or .evalgate/',
  parent: 'found by searching upward from this folder',
  config: 'the folder of --config / EVALGATE_CONFIG',
  default: 'no evalgate.config.json or .evalgate/ here or above: this folder',
} as const;

export default function register(program: Command): void {
  program
    .command('doctor')
    .description(
      'check the local toolchain and project: Node, ffmpeg/ffprobe (which binary, where from, version), the project home, configuration file and database in use, ONNX Runtime devices, cache folder, optional tools',
    )
    .option('--json', 'print JSON')
    .option('--probe-devices', 'open a small ONNX model on each GPU device (webgpu, cuda) to see whether it really runs here')
    .action(
      runAction(async (opts: { json?: boolean; probeDevices?: boolean }, cmd: Command) => {
        const checks: Check[] = [];
        const report: Record<string, unknown> = { node: process.version, platform: `${process.platform}-${process.arch}` };
        checks.push({ name: 'node', ok: Number(process.versions.node.split('.')[0]) >= 20, detail: `${process.version} (needs >= 20)` });

        const { resolveFfmpeg } = await import('../../media/ffmpeg-binaries.js');
        try {
          const ff = await resolveFfmpeg();
          report.ffmpeg = { path: ff.ffmpegPath, version: ff.version, source: ff.source };
          report.ffprobe = { path: ff.ffprobePath, version: ff.ffprobeVersion };
          checks.push({ name: 'ffmpeg', ok: true, detail: `${ff.version} at ${ff.ffmpegPath} (from ${ff.source})` });
          checks.push({ name: 'ffprobe', ok: true, detail: `${ff.ffprobeVersion} at ${ff.ffprobePath}` });
        } catch (err) {
          checks.push({ name: 'ffmpeg', ok: false, detail: (err as Error).message });
        }

        // Which project this folder belongs to: the home found from here upward, its configuration and database.
        const { loadProject } = await import('../../config/load-config.js');
        const { mkdir, access, constants } = await import('node:fs/promises');
        const { existsSync } = await import('node:fs');
        let project;
        try {
          const { config: configFile } = cmd.optsWithGlobals<{ config?: string }>();
          // The moved-data warning is shown below as a check line, not also on stderr.
          project = loadProject({ file: configFile, warn: false });
          const { config, home } = project;
          const database = config.database.url
            ? { backend: 'postgres', location: redactDatabaseUrl(config.database.url), exists: null }
            : { backend: 'pglite', location: config.database.pgliteDir, exists: existsSync(config.database.pgliteDir) };
          report.project = {
            home: home.dir,
            foundBy: home.source,
            cwd: home.cwd,
            configFile: home.configFile ?? null,
            database,
            cacheDir: config.cacheDir,
            moved: project.moved.map(({ kind, used, old, key }) => ({ kind, used, old, key })),
          };
          checks.push({ name: 'home', ok: true, detail: `${home.dir} (${homeSourceText[home.source]})` });
          checks.push({ name: 'config', ok: true, detail: home.configFile ?? 'none (defaults and environment only)' });
          checks.push({
            name: 'database',
            ok: true,
            detail:
              database.backend === 'postgres'
                ? `PostgreSQL ${database.location}`
                : `PGlite ${database.location}${database.exists ? '' : ' (not created yet: the first command that needs it creates it; or `evalgate init`)'}`,
          });
          // Data left at the place a relative path meant before it resolved against the config file's folder.
          for (const m of project.moved)
            checks.push({ name: m.kind === 'database' ? 'database' : 'journal', ok: true, warning: true, detail: m.message.replace(/^warning: /, '') });
        } catch (err) {
          checks.push({ name: 'config', ok: false, detail: (err as Error).message });
        }
        if (project) {
          const cacheDir = project.config.cacheDir;
          try {
            await mkdir(cacheDir, { recursive: true });
            await access(cacheDir, constants.W_OK);
            report.cacheDir = cacheDir;
            checks.push({ name: 'cache', ok: true, detail: `${cacheDir} is writable` });
          } catch (err) {
            checks.push({ name: 'cache', ok: false, detail: (err as Error).message });
          }
        }

        // ONNX Runtime: the CPU backend is required; GPU devices are optional. `cuda` counts
        // only with its provider files; whether `webgpu` finds an adapter shows only when a
        // session opens, so --probe-devices opens a small model (Silero VAD) on each.
        try {
          const ortModule = await import('../../../experts/onnx/onnx-runtime.js');
          const devices = await ortModule.availableDevices();
          const probed: Record<string, string> = {};
          if (opts.probeDevices) {
            const { defaultSileroModelPath } = await import('../../../experts/vad/silero-vad-segmenter.js');
            for (const d of devices.filter((x) => x !== 'cpu')) {
              probed[d] = await ortModule.getSession(defaultSileroModelPath(), { device: d }).then(
                () => 'ok',
                (e: unknown) => (e as { reason?: string; message?: string }).reason ?? String((e as Error).message),
              );
            }
          }
          report.onnxruntime = { devices, ...(opts.probeDevices ? { probed } : {}), bindingDir: ortModule.ortBindingDir() };
          const notes = devices.map((d) => (d === 'cpu' ? d : `${d} (${probed[d] ?? 'not probed; --probe-devices'})`));
          if (!devices.includes('cuda')) notes.push('cuda: provider files not installed (optional)');
          checks.push({ name: 'onnx', ok: devices.includes('cpu'), detail: `devices: ${notes.join(', ')}` });
        } catch (err) {
          checks.push({ name: 'onnx', ok: false, detail: (err as Error).message });
        }

        // Optional Debian tools: only needed for the pocketsphinx fallback and for regenerating synthetic data.
        const { delimiter, join } = await import('node:path');
        const onPath = (bin: string): string | undefined =>
          (process.env.PATH ?? '')
            .split(delimiter)
            .map((d) => join(d, bin))
            .find((p) => existsSync(p));
        const optional: Record<string, string | null> = {};
        for (const bin of ['espeak-ng', 'sox', 'pocketsphinx_continuous', 'chromium']) optional[bin] = onPath(bin) ?? null;
        report.optionalTools = optional;
        report.checks = checks;
        report.ok = checks.every((c) => c.ok);
        if (!report.ok) process.exitCode = 1;
        if (opts.json) return report;
        return [
          ...checks.map((c) => `${!c.ok ? 'FAIL' : c.warning ? 'WARN' : 'ok  '} ${c.name.padEnd(8)} ${c.detail}`),
          ...Object.entries(optional).map(([k, v]) => `${v ? 'ok  ' : '--  '} ${k.padEnd(8)} ${v ?? 'not found (optional)'}`),
        ].join('\n');
      }),
    );
}
