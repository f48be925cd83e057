import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { importLhotse } from '../../datasets/importers/import-lhotse.js';
import { writeImportedManifest } from '../../datasets/importers/write-manifest.js';
import { ManifestError, parseManifest } from '../../datasets/parse-manifest.js';
import { put, toneWav } from './fixtures.js';

let dir: string;
let corpus: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eg-lhotse-'));
  // The audio lives in its own tree, outside the folder holding the manifests, as a downloaded corpus does.
  corpus = await mkdtemp(join(tmpdir(), 'eg-lhotse-corpus-'));
});

const jsonl = (rows: readonly unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function recording(id: string, source: string, durationS: number, channels: number[] = [0]): Record<string, unknown> {
  return {
    id,
    sources: [{ type: 'file', channels, source }],
    sampling_rate: 16000,
    num_samples: durationS * 16000,
    duration: durationS,
    channel_ids: channels,
  };
}

async function rejection(p: Promise<unknown>): Promise<ManifestError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ManifestError);
  return err as ManifestError;
}

describe('lhotse recordings + supervisions', () => {
  it('reads gzip and plain JSONL; whole recordings get duration_s, parts of a long one start_s/end_s', async () => {
    await put(join(corpus, 'a.wav'), toneWav(2, 1));
    await put(join(corpus, 'long.wav'), toneWav(6, 2));
    await put(join(dir, 'rel', 'c.wav'), toneWav(1, 3));
    await put(
      join(dir, 'm', 'recordings.jsonl.gz'),
      gzipSync(jsonl([recording('a', join(corpus, 'a.wav'), 2), recording('long', join(corpus, 'long.wav'), 6), recording('c', '../rel/c.wav', 1)])),
    );
    await put(
      join(dir, 'm', 'supervisions.jsonl'),
      jsonl([
        { id: 'a-0', recording_id: 'a', start: 0, duration: 2, channel: 0, text: 'HELLO THERE', language: 'English', speaker: 's1', gender: 'F' },
        { id: 'long-1', recording_id: 'long', start: 0.5, duration: 1.25, channel: 0, text: 'FIRST PART', language: 'English', speaker: 's2' },
        { id: 'long-2', recording_id: 'long', start: 3.1, duration: 2.9, channel: 0, text: 'SECOND PART', language: 'Mandarin', speaker: 's2' },
        { id: 'c-0', recording_id: 'c', start: 0, duration: 1, text: 'RELATIVE', language: 'xx' },
      ]),
    );
    const set = await importLhotse(join(dir, 'm', 'recordings.jsonl.gz'), join(dir, 'm', 'supervisions.jsonl'), { tags: ['src/lhotse'] });
    expect(set.samples.map((s) => [s.id, s.audio, s.reference, s.lang, s.start_s, s.end_s, s.duration_s])).toEqual([
      ['a-0', join(corpus, 'a.wav'), 'HELLO THERE', 'en', undefined, undefined, 2],
      ['long-1', join(corpus, 'long.wav'), 'FIRST PART', 'en', 0.5, 1.75, undefined],
      ['long-2', join(corpus, 'long.wav'), 'SECOND PART', 'zh', 3.1, 6, undefined],
      ['c-0', join(dir, 'rel', 'c.wav'), 'RELATIVE', 'xx', undefined, undefined, 1],
    ]);
    expect(set.samples[0]!.tags).toEqual(['speaker/female', 'src/lhotse']);
    expect(set.samples[1]!.tags).toEqual(['src/lhotse']);
    expect(
      (await importLhotse(join(dir, 'm', 'recordings.jsonl.gz'), join(dir, 'm', 'supervisions.jsonl'), { limit: 2, lang: 'de' })).samples.map((s) => [
        s.id,
        s.lang,
      ]),
    ).toEqual([
      ['a-0', 'de'],
      ['long-1', 'de'],
    ]);

    // As with NeMo: media outside the dataset folder is copied in with --out, and the manifest parses (containment holds).
    const written = await writeImportedManifest(set, { outDir: join(dir, 'set') });
    expect(written.copiedFiles).toBe(3);
    const manifest = await parseManifest(written.manifestPath);
    expect(manifest.samples.map((s) => s.audio)).toEqual([
      expect.stringMatching(/^media\/.*\/a\.wav$/),
      expect.stringMatching(/^media\/.*\/long\.wav$/),
      expect.stringMatching(/^media\/.*\/long\.wav$/),
      expect.stringMatching(/^media\/.*\/c\.wav$/),
    ]);
    const copied = manifest.samples[1]!.audio!;
    expect((await readFile(join(dir, 'set', copied))).equals(toneWav(6, 2))).toBe(true);
    expect(manifest.samples[1]).toMatchObject({ start_s: 0.5, end_s: 1.75 });
  });

  it('picks the file of the supervision channel when a recording has one file per channel', async () => {
    await put(join(corpus, 'c0.wav'), toneWav(1, 4));
    await put(join(corpus, 'c1.wav'), toneWav(1, 5));
    await put(
      join(dir, 'rec.jsonl'),
      jsonl([
        {
          id: 'r',
          sources: [
            { type: 'file', channels: [0], source: join(corpus, 'c0.wav') },
            { type: 'file', channels: [1], source: join(corpus, 'c1.wav') },
          ],
          sampling_rate: 16000,
          num_samples: 16000,
          duration: 1,
        },
      ]),
    );
    await put(
      join(dir, 'sup.jsonl'),
      jsonl([
        { id: 's0', recording_id: 'r', start: 0, duration: 0.5, channel: 0, text: 'LEFT' },
        { id: 's1', recording_id: 'r', start: 0.5, duration: 0.5, channel: 1, text: 'RIGHT' },
      ]),
    );
    const set = await importLhotse(join(dir, 'rec.jsonl'), join(dir, 'sup.jsonl'), {});
    expect(set.samples.map((s) => s.audio)).toEqual([join(corpus, 'c0.wav'), join(corpus, 'c1.wav')]);
  });

  it('reports every bad line of both files at once, naming file, line and field', async () => {
    await put(join(corpus, 'st.wav'), toneWav(1, 6));
    await put(
      join(dir, 'rec.jsonl'),
      jsonl([
        recording('ok', join(corpus, 'ok.wav'), 3),
        { id: 'web', sources: [{ type: 'url', channels: [0], source: 'https://example.org/a.wav' }], sampling_rate: 16000, num_samples: 16000, duration: 1 },
        recording('stereo', join(corpus, 'st.wav'), 1, [0, 1]),
        { ...recording('fast', join(corpus, 'st.wav'), 1), transforms: [{ name: 'Speed', kwargs: { factor: 1.1 } }] },
      ]) + '{not json\n',
    );
    await put(
      join(dir, 'sup.jsonl'),
      jsonl([
        { id: 's1', recording_id: 'ok', start: 0, duration: 1, text: 'FINE' },
        { id: 's2', recording_id: 'ok', start: 2.5, duration: 1, text: 'PAST THE END' },
        { id: 's3', recording_id: 'nope', start: 0, duration: 1, text: 'NO RECORDING' },
        { id: 's4', recording_id: 'stereo', start: 0, duration: 1, channel: 1, text: 'ONE CHANNEL OF TWO' },
        { id: 's5', recording_id: 'web', start: 0, duration: 1, text: 'ALREADY REPORTED' },
        { id: 's1', recording_id: 'ok', start: 0, duration: 1, text: 'DUPLICATE' },
      ]),
    );
    const err = await rejection(importLhotse(join(dir, 'rec.jsonl'), join(dir, 'sup.jsonl'), {}));
    expect([err.file, err.line, err.field]).toEqual([join(dir, 'rec.jsonl'), 2, 'sources[0].type']);
    expect(err.detail).toContain('line 4: transforms:');
    expect(err.detail).toContain('line 5: (line): not valid JSON');
    const sup = join(dir, 'sup.jsonl');
    expect(err.detail).toContain(`${sup}:2: duration: the segment ends at 3.5 s, after the recording's 3 s`);
    expect(err.detail).toContain(`${sup}:3: recording_id: no recording "nope"`);
    expect(err.detail).toContain(`${sup}:4: channel: channel 1 of a 2-channel file: evalgate decodes a mono downmix`);
    expect(err.detail).toContain(`${sup}:6: id: duplicate supervision id "s1" (first on line 1)`);
    expect(err.detail).not.toContain(`${sup}:5:`);
  });

  it('an empty supervisions manifest is an error, not a 0-sample dataset', async () => {
    await put(join(dir, 'rec.jsonl'), jsonl([recording('a', join(corpus, 'a.wav'), 1)]));
    await put(join(dir, 'sup.jsonl.gz'), gzipSync(''));
    const err = await rejection(importLhotse(join(dir, 'rec.jsonl'), join(dir, 'sup.jsonl.gz'), {}));
    expect(err.detail).toMatch(/no supervisions/);
    expect((await rejection(importLhotse(join(dir, 'missing.jsonl'), join(dir, 'sup.jsonl.gz'), {}))).detail).toBe('missing or unreadable');
  });
});
