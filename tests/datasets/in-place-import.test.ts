import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { importAishell } from '../../datasets/importers/import-aishell.js';
import { importCommonVoice } from '../../datasets/importers/import-common-voice.js';
import { importKaldiDataDir } from '../../datasets/importers/import-kaldi-data-dir.js';
import { importLibriSpeech } from '../../datasets/importers/import-librispeech.js';
import { importNemoManifest } from '../../datasets/importers/import-nemo-manifest.js';
import type { ImportedSet } from '../../datasets/importers/imported-set.js';
import { writeImportedManifest } from '../../datasets/importers/write-manifest.js';
import { parseManifest } from '../../datasets/parse-manifest.js';
import { findDataset, importDataset, listSamples } from '../../gateway/store/dataset-repo.js';
import { createPostgresTestStore, postgresAvailable, type TestStore } from '../helpers/test-stores.js';
import { put, toneWav } from './fixtures.js';

// Media stays where it is (issue #18): each importer reads a corpus whose
// audio lies outside the folder being imported, by absolute and by ../
// paths; the manifest names it there, nothing is copied, and the import
// records each file's real path, size and sha256.

const available = await postgresAvailable();
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(!available)('importing media in place', () => {
  let ts: TestStore;
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    ts = await createPostgresTestStore();
  });
  afterAll(async () => {
    await ts?.dispose();
  });
  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'eg-inplace-')));
  });

  /** Writes the manifest without copying, imports it, and checks what was recorded for each outside file. */
  async function importInPlace(set: ImportedSet, files: Record<string, Buffer>, opts: { followSymlinks?: boolean } = {}) {
    const written = await writeImportedManifest(set);
    expect(written.copiedFiles).toBe(0);
    const manifest = await parseManifest(written.manifestPath);
    const name = `inplace-${n++}`;
    const ds = await importDataset(ts.store.db, manifest, { name, probeDurationS: null, mediaRoots: [dir], ...opts });
    const rows = await listSamples(ts.store.db, ds.id);
    for (const r of rows) {
      for (const [i, m] of r.media.entries()) {
        const real = r.media_files[i]!.realPath;
        const bytes = files[real];
        expect(bytes, `${r.sample_key}: ${real} is one of the fixture files`).toBeDefined();
        expect(r.media_files[i]).toEqual({ realPath: real, sizeBytes: bytes!.length });
        expect(m.sha256).toBe(sha(bytes!));
      }
    }
    expect(ds.digest_version).toBe(2);
    return { ds, rows, manifest, written };
  }

  it('Kaldi: wav.scp with an absolute path and a ../ path to a corpus outside the data dir', async () => {
    const a = toneWav(0.1, 1);
    const b = toneWav(0.1, 2);
    await put(join(dir, 'corpus', 'a.wav'), a);
    await put(join(dir, 'corpus', 'b.wav'), b);
    const data = join(dir, 'recipe', 'data', 'test');
    // Relative wav.scp paths resolve against the recipe folder (the one holding data/).
    await put(join(data, 'wav.scp'), `a ${join(dir, 'corpus', 'a.wav')}\nb ../corpus/b.wav\n`);
    await put(join(data, 'text'), 'a hello world\nb good bye\n');
    const set = await importKaldiDataDir(data, {});
    const { rows, manifest } = await importInPlace(set, { [join(dir, 'corpus', 'a.wav')]: a, [join(dir, 'corpus', 'b.wav')]: b });
    expect(manifest.path).toBe(join(data, 'evalgate-manifest.jsonl'));
    expect(manifest.samples.map((s) => s.audio)).toEqual([join(dir, 'corpus', 'a.wav'), join(dir, 'corpus', 'b.wav')]);
    expect(rows.map((r) => r.reference)).toEqual(['hello world', 'good bye']);
    expect(existsSync(join(data, 'media'))).toBe(false);
  });

  it('NeMo: audio_filepath absolute and ../ relative to the manifest', async () => {
    const a = toneWav(0.1, 3);
    const b = toneWav(0.1, 4);
    await put(join(dir, 'audio', 'a.wav'), a);
    await put(join(dir, 'audio', 'b.wav'), b);
    await put(
      join(dir, 'nemo', 'test.json'),
      [
        { audio_filepath: join(dir, 'audio', 'a.wav'), text: 'one', duration: 0.1 },
        { audio_filepath: '../audio/b.wav', text: 'two', duration: 0.1 },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    const set = await importNemoManifest(join(dir, 'nemo', 'test.json'), {});
    const { rows } = await importInPlace(set, { [join(dir, 'audio', 'a.wav')]: a, [join(dir, 'audio', 'b.wav')]: b });
    expect(rows.map((r) => [r.sample_key, r.reference])).toEqual([
      ['a', 'one'],
      ['b', 'two'],
    ]);
  });

  it('Common Voice and AISHELL: clips and wavs in a --media-dir outside the TSV / transcript folder', async () => {
    const c1 = toneWav(0.1, 5);
    await put(join(dir, 'clips-elsewhere', 'c1.wav'), c1);
    await put(join(dir, 'cv', 'test.tsv'), 'client_id\tpath\tsentence\tlocale\nx\tc1.wav\tHello there\ten\n');
    const cv = await importCommonVoice(join(dir, 'cv', 'test.tsv'), { mediaDir: join(dir, 'clips-elsewhere') });
    const { manifest } = await importInPlace(cv, { [join(dir, 'clips-elsewhere', 'c1.wav')]: c1 });
    expect(manifest.samples[0]?.audio).toBe(join(dir, 'clips-elsewhere', 'c1.wav'));

    const u = toneWav(0.1, 6);
    await put(join(dir, 'aishell-wav', 'wav', 'test', 'S0764', 'BAC009S0764W0121.wav'), u);
    await put(join(dir, 'data_aishell', 'transcript', 'aishell_transcript_v0.8.txt'), 'BAC009S0764W0121 甚至 出现 交易\n');
    const ai = await importAishell(join(dir, 'data_aishell'), { mediaDir: join(dir, 'aishell-wav') });
    const { rows } = await importInPlace(ai, { [join(dir, 'aishell-wav', 'wav', 'test', 'S0764', 'BAC009S0764W0121.wav')]: u });
    expect(rows.map((r) => [r.reference, r.tags])).toEqual([['甚至出现交易', ['asr/read-speech', 'aishell/test']]]);
  });

  it('a manifest with absolute and ../ media paths imports as it is, without a copy', async () => {
    const a = toneWav(0.1, 7);
    const b = toneWav(0.1, 8);
    await put(join(dir, 'shared', 'a.wav'), a);
    await put(join(dir, 'shared', 'b.wav'), b);
    await put(
      join(dir, 'sets', 'm.jsonl'),
      [
        { id: 'a', task: 'asr', audio: join(dir, 'shared', 'a.wav'), reference: 'x' },
        { id: 'b', task: 'asr', audio: '../shared/b.wav', reference: 'y' },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    const ds = await importDataset(ts.store.db, await parseManifest(join(dir, 'sets', 'm.jsonl')), {
      name: `manifest-${n++}`,
      probeDurationS: null,
      mediaRoots: [dir],
    });
    const rows = await listSamples(ts.store.db, ds.id);
    expect(rows.map((r) => [r.media[0]!.path, r.media_files[0]])).toEqual([
      [join(dir, 'shared', 'a.wav'), { realPath: join(dir, 'shared', 'a.wav'), sizeBytes: a.length }],
      ['../shared/b.wav', { realPath: join(dir, 'shared', 'b.wav'), sizeBytes: b.length }],
    ]);
  });

  it('LibriSpeech: a file linked out of the folder is refused with a clear error, then accepted with --follow-symlinks', async () => {
    const pooled = toneWav(0.1, 9);
    const own = toneWav(0.1, 10);
    await put(join(dir, 'pool', 'p.flac'), pooled);
    const ch = join(dir, 'LibriSpeech', 'test-clean', '1', '2');
    await put(join(ch, '1-2.trans.txt'), '1-2-0000 OWN FILE\n1-2-0001 LINKED FILE\n');
    await put(join(ch, '1-2-0000.flac'), own);
    await symlink(join(dir, 'pool', 'p.flac'), join(ch, '1-2-0001.flac'));
    const set = await importLibriSpeech(join(dir, 'LibriSpeech'), {});
    expect(set.samples.map((s) => s.id)).toEqual(['1-2-0000', '1-2-0001']);
    const written = await writeImportedManifest(set);
    const manifest = await parseManifest(written.manifestPath);
    const name = `libri-${n++}`;
    const err = await importDataset(ts.store.db, manifest, { name, probeDurationS: null, mediaRoots: [dir] }).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('EVALGATE_ERR_PATH_ESCAPE');
    expect(err?.message).toContain('test-clean/1/2/1-2-0001.flac (sample 1-2-0001, line 2: a symbolic link to a file outside its folder');
    expect(err?.message).toContain('--follow-symlinks');
    expect(await findDataset(ts.store.db, name)).toBeUndefined();

    // A link that stays inside the folder needs no flag.
    const inner = join(dir, 'LibriSpeech', 'test-clean', '1', '3');
    await put(join(inner, '1-3.trans.txt'), '1-3-0000 INNER LINK\n');
    await symlink(join(ch, '1-2-0000.flac'), join(inner, '1-3-0000.flac'));
    const innerOnly = { ...set, samples: (await importLibriSpeech(join(dir, 'LibriSpeech'), {})).samples.filter((s) => s.id !== '1-2-0001') };
    await importInPlace(innerOnly, { [join(ch, '1-2-0000.flac')]: own });

    const { rows } = await importInPlace(set, { [join(ch, '1-2-0000.flac')]: own, [join(dir, 'pool', 'p.flac')]: pooled }, { followSymlinks: true });
    expect(rows.find((r) => r.sample_key === '1-2-0001')?.media_files).toEqual([{ realPath: join(dir, 'pool', 'p.flac'), sizeBytes: pooled.length }]);
    // The manifest names the link inside the folder, relative to it.
    expect(relative(join(dir, 'LibriSpeech'), join(dir, 'LibriSpeech', manifest.samples[1]!.audio!))).toBe('test-clean/1/2/1-2-0001.flac');
  });

  it('--copy-to copies instead: media outside the folder lands under media/, as --out did', async () => {
    const a = toneWav(0.1, 11);
    await put(join(dir, 'far', 'deep', 'a.wav'), a);
    const set = {
      samples: [{ id: 'a', task: 'asr' as const, audio: join(dir, 'far', 'deep', 'a.wav'), reference: 'x', tags: [] }],
      sourceDir: join(dir, 'src'),
      skipped: [],
    };
    const copy = await writeImportedManifest(set, { copyTo: join(dir, 'copy') });
    expect(copy.copiedFiles).toBe(1);
    expect((await parseManifest(copy.manifestPath)).samples[0]?.audio).toBe('media/a.wav');
    expect(await readFile(join(dir, 'copy', 'media', 'a.wav'))).toEqual(a);
    const inPlace = await writeImportedManifest(set);
    expect([inPlace.manifestPath, inPlace.copiedFiles]).toEqual([join(dir, 'src', 'evalgate-manifest.jsonl'), 0]);
    expect((await parseManifest(inPlace.manifestPath)).samples[0]?.audio).toBe(join(dir, 'far', 'deep', 'a.wav'));
  });

  it('the digest does not depend on where the files sit: the same corpus in two places has one Merkle root', async () => {
    const files = { 'a.wav': toneWav(0.1, 12), 'b.wav': toneWav(0.1, 13) };
    const roots: string[] = [];
    for (const place of ['one', 'two/deeper']) {
      for (const [f, data] of Object.entries(files)) await put(join(dir, place, 'corpus', f), data);
      // One manifest by absolute paths, the other by ../ paths: different bytes, different places, same content.
      const lines = Object.keys(files).map((f, i) =>
        JSON.stringify({ id: f, task: 'asr', audio: place === 'one' ? join(dir, place, 'corpus', f) : `../corpus/${f}`, reference: `r${i}` }),
      );
      await put(join(dir, place, 'manifests', 'm.jsonl'), lines.join('\n'));
      const ds = await importDataset(ts.store.db, await parseManifest(join(dir, place, 'manifests', 'm.jsonl')), {
        name: `where-${n++}`,
        probeDurationS: null,
        mediaRoots: [dir],
      });
      roots.push(ds.merkle_root);
    }
    expect(roots[0]).toBe(roots[1]);
    // A changed sample field still changes it.
    await writeFile(
      join(dir, 'one', 'manifests', 'm2.jsonl'),
      JSON.stringify({ id: 'a.wav', task: 'asr', audio: join(dir, 'one', 'corpus', 'a.wav'), reference: 'other' }),
    );
    const other = await importDataset(ts.store.db, await parseManifest(join(dir, 'one', 'manifests', 'm2.jsonl')), {
      name: `where-${n++}`,
      probeDurationS: null,
      mediaRoots: [dir],
    });
    expect(other.merkle_root).not.toBe(roots[0]);
    await rm(join(dir, 'one'), { recursive: true, force: true });
  });

  it('refuses media outside the manifest folder and every --media-root: a manifest cannot name /etc/passwd or a ../ secret', async () => {
    await put(join(dir, 'secret', 'id_rsa.wav'), toneWav(0.1, 3));
    const cases: [string, string][] = [
      ['an absolute system file', '/etc/passwd'],
      ['an absolute file beside the corpus', join(dir, 'secret', 'id_rsa.wav')],
      ['a ../ path', '../../secret/id_rsa.wav'],
    ];
    for (const [what, audio] of cases) {
      await put(join(dir, 'hostile', 'set', 'm.jsonl'), JSON.stringify({ id: 'x', task: 'asr', audio, reference: 'r', duration_s: 1 }));
      const manifest = await parseManifest(join(dir, 'hostile', 'set', 'm.jsonl'));
      const err = await importDataset(ts.store.db, manifest, { name: `hostile-${n++}`, probeDurationS: null }).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message?: string },
      );
      expect(err?.code, what).toBe('EVALGATE_ERR_PATH_ESCAPE');
      expect(err?.message, what).toContain('pass --media-root DIR');
    }
    // Naming the folder with --media-root is the explicit opt-in; the system file stays refused under it.
    await put(join(dir, 'hostile', 'set', 'm.jsonl'), JSON.stringify({ id: 'x', task: 'asr', audio: '../../secret/id_rsa.wav', reference: 'r' }));
    const ok = await importDataset(ts.store.db, await parseManifest(join(dir, 'hostile', 'set', 'm.jsonl')), {
      name: `hostile-${n++}`,
      probeDurationS: null,
      mediaRoots: [join(dir, 'secret')],
    });
    expect((await listSamples(ts.store.db, ok.id))[0]?.media_files[0]?.realPath).toBe(join(dir, 'secret', 'id_rsa.wav'));
    await put(join(dir, 'hostile', 'set', 'm.jsonl'), JSON.stringify({ id: 'x', task: 'asr', audio: '/etc/passwd', reference: 'r', duration_s: 1 }));
    await expect(
      importDataset(ts.store.db, await parseManifest(join(dir, 'hostile', 'set', 'm.jsonl')), {
        name: `hostile-${n++}`,
        probeDurationS: null,
        mediaRoots: [join(dir, 'secret')],
      }),
    ).rejects.toMatchObject({ code: 'EVALGATE_ERR_PATH_ESCAPE' });
  });
});
