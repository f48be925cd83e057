import { copyFile, mkdir, mkdtemp, readFile, realpath, rename, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flipByte } from '../helpers/flip-byte.js';
import { runCommandInProcess, type CliResult } from '../helpers/run-cli.js';
import register from '../../gateway/cli/commands/datasets.js';
import { put, toneWav } from './fixtures.js';
import { hasRealdata, realdataDir } from '../helpers/realdata.js';

function runCli(args: string[]): Promise<CliResult> {
  return runCommandInProcess(register, args);
}

async function configIn(dir: string): Promise<string> {
  const path = join(dir, 'evalgate.config.json');
  await writeFile(path, JSON.stringify({ database: { pgliteDir: join(dir, 'db') } }));
  return path;
}

const unique = (): string => Math.random().toString(36).slice(2, 8);
const realdata = realdataDir;

describe('evalgate datasets', () => {
  afterEach(() => vi.restoreAllMocks());

  it('imports generic JSONL with --map and --out (the deprecated name of --copy-to), shows counts, verifies, and flags a changed byte with exit 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-cli-'));
    const cfg = await configIn(dir);
    await put(join(dir, 'src', 'wavs', 'u1.wav'), toneWav(0.75, 1));
    await put(join(dir, 'src', 'wavs', 'u2.wav'), toneWav(1.25, 2));
    await put(join(dir, 'src', 'export.jsonl'), ['u1', 'u2'].map((u) => JSON.stringify({ key: u, wav: `wavs/${u}.wav`, text: `text of ${u}` })).join('\n'));
    const name = `cli-${unique()}`;
    const imp = await runCli([
      '-c',
      cfg,
      'datasets',
      'import',
      'jsonl',
      join(dir, 'src', 'export.jsonl'),
      '--name',
      name,
      '--map',
      'id=key',
      '--map',
      'audio=wav',
      '--map',
      'reference=text',
      '--task',
      'asr',
      '--lang',
      'en',
      '--tag',
      'src/test',
      '--out',
      join(dir, 'set'),
      '--json',
    ]);
    expect(imp.stderr).toBe('evalgate: --out is deprecated; use --copy-to (media is used in place unless you ask for a copy)\n');
    expect(imp.exitCode).toBeUndefined();
    const doc = JSON.parse(imp.stdout) as { name: string; samples: number; copiedFiles: number; manifestPath: string; merkleRoot: string };
    expect(doc).toMatchObject({ name, samples: 2, copiedFiles: 2, manifestPath: join(dir, 'set', 'evalgate-manifest.jsonl') });

    const show = JSON.parse((await runCli(['-c', cfg, 'datasets', 'show', name, '--json'])).stdout) as Record<string, unknown>;
    expect(show).toMatchObject({
      name,
      sampleCount: 2,
      tasks: { asr: 2 },
      tags: { 'src/test': 2 },
      langs: { en: 2 },
      merkleRoot: doc.merkleRoot,
      videoDurationS: 0,
    });
    expect(show.audioDurationS as number).toBeCloseTo(2, 3);
    expect((await runCli(['-c', cfg, 'datasets', 'list'])).stdout).toContain(name);

    const ok = await runCli(['-c', cfg, 'datasets', 'verify', name]);
    expect([ok.exitCode, ok.stdout]).toEqual([undefined, `${name}: OK (2 samples checked)\n`]);

    const copied = join(dir, 'set', 'media', 'u2.wav');
    const bytes = await readFile(copied);
    flipByte(bytes, 100, 0xff);
    await writeFile(copied, bytes);
    const bad = await runCli(['-c', cfg, 'datasets', 'verify', name]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toContain('u2: media audio media/u2.wav changed');
    expect(bad.stdout).not.toContain('u1:');
  }, 300_000);

  it('imports a Kaldi dir in place, refuses a link out of it unless --follow-symlinks, and verify/relocate follow a move', async () => {
    const dir = await realpath(await mkdtemp(join(tmpdir(), 'eg-cli-')));
    const cfg = await configIn(dir);
    await put(join(dir, 'corpus', 'a.wav'), toneWav(0.25, 1));
    await put(join(dir, 'pool', 'b.wav'), toneWav(0.25, 2));
    await mkdir(join(dir, 'corpus', 'links'));
    await symlink(join(dir, 'pool', 'b.wav'), join(dir, 'corpus', 'links', 'b.wav'));
    const data = join(dir, 'recipe', 'data', 'test');
    await put(join(data, 'wav.scp'), `a ${join(dir, 'corpus', 'a.wav')}\nb ${join(dir, 'corpus', 'links', 'b.wav')}\n`);
    await put(join(data, 'text'), 'a one\nb two\n');
    const name = `kaldi-${unique()}`;

    // Media outside the Kaldi folder needs --media-root; without it the first file is refused as outside.
    const outside = await runCli(['-c', cfg, 'datasets', 'import', 'kaldi', data, '--name', name]);
    expect(outside.exitCode).toBe(1);
    expect(outside.stderr).toContain('is outside the dataset folder (pass --media-root DIR to allow media under DIR)');
    const refused = await runCli(['-c', cfg, 'datasets', 'import', 'kaldi', data, '--name', name, '--media-root', dir]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('a symbolic link to a file outside its folder; pass --follow-symlinks to accept it');
    expect(refused.stderr).toContain('EVALGATE_ERR_PATH_ESCAPE');

    const imp = await runCli(['-c', cfg, 'datasets', 'import', 'kaldi', data, '--name', name, '--follow-symlinks', '--media-root', dir, '--json']);
    expect([imp.exitCode, imp.stderr]).toEqual([undefined, '']);
    expect(JSON.parse(imp.stdout)).toMatchObject({ samples: 2, copiedFiles: 0, manifestPath: join(data, 'evalgate-manifest.jsonl') });

    await rename(join(dir, 'corpus'), join(dir, 'moved'));
    const missing = await runCli(['-c', cfg, 'datasets', 'verify', name]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toContain('  missing: 2 file(s)');
    expect(missing.stdout).toContain(`    ${join(dir, 'corpus', 'a.wav')}: missing; used by 1 sample(s), e.g. a`);
    expect(missing.stdout).toContain(`if the corpus moved: evalgate datasets relocate ${name} --from OLD_FOLDER --to NEW_FOLDER`);

    const rel = await runCli(['-c', cfg, 'datasets', 'relocate', name, '--from', join(dir, 'corpus'), '--to', join(dir, 'moved')]);
    expect([rel.exitCode, rel.stdout]).toEqual([
      undefined,
      `${name}: relocated ${join(dir, 'corpus')} → ${join(dir, 'moved')} (2 files checked, 2 samples updated)\n  manifest: ${join(data, 'evalgate-manifest.jsonl')}\n`,
    ]);
    const ok = await runCli(['-c', cfg, 'datasets', 'verify', name]);
    expect([ok.exitCode, ok.stdout]).toEqual([undefined, `${name}: OK (2 samples checked)\n`]);

    // A changed byte: verify says changed, and relocating to a copy holding it is refused with exit 1.
    await rename(join(dir, 'moved'), join(dir, 'again'));
    const bytes = await readFile(join(dir, 'again', 'a.wav'));
    flipByte(bytes, 100, 0xff);
    await writeFile(join(dir, 'again', 'a.wav'), bytes);
    const refusedMove = await runCli(['-c', cfg, 'datasets', 'relocate', name, '--from', join(dir, 'moved'), '--to', join(dir, 'again')]);
    expect(refusedMove.exitCode).toBe(1);
    expect(refusedMove.stdout).toContain(`${name}: not relocated, nothing changed: 1 file(s) are not at ${join(dir, 'again')} as imported`);
    expect(refusedMove.stdout).toContain(`  ${join(dir, 'again', 'a.wav')}: changed (sample a)`);
    await rename(join(dir, 'again'), join(dir, 'moved'));
    const changed = await runCli(['-c', cfg, 'datasets', 'verify', name]);
    expect(changed.exitCode).toBe(1);
    expect(changed.stdout).toContain('  changed: 1 file(s)');
    expect(changed.stdout).not.toContain('missing:');
  }, 300_000);

  it('reports manifest errors with file, line and field under the registry code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-cli-'));
    const cfg = await configIn(dir);
    await writeFile(join(dir, 'm.jsonl'), `${JSON.stringify({ id: 'a', task: 'asr', audio: 'a.wav', reference: 'x', choices: 'no' })}\n`);
    const r = await runCli(['-c', cfg, 'datasets', 'import', 'manifest', join(dir, 'm.jsonl'), '--name', `bad-${unique()}`]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'm.jsonl')}:1: choices: `);
    expect(r.stderr).toContain('EVALGATE_ERR_MANIFEST_INVALID');
    // A media path outside the manifest's folder is accepted; a file that is not there is named with its sample and line.
    await writeFile(join(dir, 'm2.jsonl'), `${JSON.stringify({ id: 'a', task: 'asr', audio: '../absent.wav', reference: 'x' })}\n`);
    const absent = await runCli(['-c', cfg, 'datasets', 'import', 'manifest', join(dir, 'm2.jsonl'), '--name', `bad-${unique()}`]);
    expect(absent.exitCode).toBe(1);
    expect(absent.stderr).toContain('sample a (line 1): ../absent.wav missing');
    expect(absent.stderr).toContain('EVALGATE_ERR_MEDIA_NOT_FOUND');
    const unknown = await runCli(['-c', cfg, 'datasets', 'import', 'nope', dir, '--name', 'x']);
    expect(unknown.stderr).toContain('EVALGATE_ERR_BAD_INPUT');
  });

  it.skipIf(!hasRealdata)(
    'imports a LibriSpeech folder built from the real LibriSpeech utterance (skips without ../shared/realdata)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'eg-cli-'));
      const cfg = await configIn(dir);
      const ch = join(dir, 'LibriSpeech', 'test-clean', '1995', '1837');
      await put(
        join(ch, '1995-1837.trans.txt'),
        '1995-1837-0001 IT WAS THE FIRST GREAT SORROW OF HIS LIFE IT WAS NOT SO MUCH THE LOSS OF THE COTTON ITSELF BUT THE FANTASY THE HOPES THE DREAMS BUILT AROUND IT\n',
      );
      await copyFile(join(realdata, 'librispeech-1995-1837-0001.wav'), join(ch, '1995-1837-0001.wav'));
      const name = `ls-${unique()}`;
      const r = await runCli(['-c', cfg, 'datasets', 'import', 'librispeech', join(dir, 'LibriSpeech'), '--name', name, '--json']);
      expect(r.stderr).toBe('');
      const show = JSON.parse((await runCli(['-c', cfg, 'datasets', 'show', name, '--json'])).stdout) as {
        audioDurationS: number;
        tags: Record<string, number>;
      };
      expect(show.audioDurationS).toBeCloseTo(8.73, 2);
      expect(show.tags).toEqual({ 'asr/read-speech': 1, 'librispeech/test-clean': 1 });
    },
    300_000,
  );
});
