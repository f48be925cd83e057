import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { importAishell } from '../../datasets/importers/import-aishell.js';
import { importCommonVoice } from '../../datasets/importers/import-common-voice.js';
import { getPath, importGenericJsonl, parseFieldMap } from '../../datasets/importers/import-generic-jsonl.js';
import { importKaldiDataDir } from '../../datasets/importers/import-kaldi-data-dir.js';
import { importLibriSpeech } from '../../datasets/importers/import-librispeech.js';
import { importNemoManifest } from '../../datasets/importers/import-nemo-manifest.js';
import { importOcrBench } from '../../datasets/importers/import-ocrbench.js';
import { importVideoMme, stripOptionLabel } from '../../datasets/importers/import-video-mme.js';
import { writeImportedManifest } from '../../datasets/importers/write-manifest.js';
import { ManifestError, parseManifest } from '../../datasets/parse-manifest.js';
import { put, toneWav } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eg-import-'));
});

async function rejection(p: Promise<unknown>): Promise<ManifestError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ManifestError);
  return err as ManifestError;
}

describe('LibriSpeech folder', () => {
  it('reads *.trans.txt with flac or wav beside it, tags the subset, honours --limit', async () => {
    const ch = join(dir, 'LibriSpeech', 'test-clean', '1995', '1837');
    await put(join(ch, '1995-1837.trans.txt'), '1995-1837-0001 IT WAS THE FIRST GREAT SORROW\n1995-1837-0000 HE HOPED THERE WOULD BE STEW\n');
    await put(join(ch, '1995-1837-0000.flac'), 'not really flac');
    await put(join(ch, '1995-1837-0001.wav'), toneWav(0.1));
    const set = await importLibriSpeech(join(dir, 'LibriSpeech'), {});
    expect(set.samples.map((s) => [s.id, s.reference, s.audio])).toEqual([
      ['1995-1837-0000', 'HE HOPED THERE WOULD BE STEW', join(ch, '1995-1837-0000.flac')],
      ['1995-1837-0001', 'IT WAS THE FIRST GREAT SORROW', join(ch, '1995-1837-0001.wav')],
    ]);
    expect(set.samples[0]).toMatchObject({ task: 'asr', lang: 'en', tags: ['asr/read-speech', 'librispeech/test-clean'] });
    expect((await importLibriSpeech(join(dir, 'LibriSpeech'), { limit: 1 })).samples).toHaveLength(1);
  });

  it('names the transcript line whose audio is missing', async () => {
    await put(join(dir, 'a', '1-2.trans.txt'), '1-2-0001 HELLO\n1-2-0002 WORLD\n');
    await put(join(dir, 'a', '1-2-0001.wav'), toneWav(0.1));
    const err = await rejection(importLibriSpeech(dir, {}));
    expect([err.file, err.line, err.field]).toEqual([join(dir, 'a', '1-2.trans.txt'), 2, 'audio']);
  });
});

describe('Kaldi data dir', () => {
  it('maps utterances to recordings, with segment times from segments', async () => {
    const data = join(dir, 'data', 'test');
    await put(join(dir, 'wav', 'rec1.wav'), toneWav(1));
    await put(join(data, 'wav.scp'), 'rec1 wav/rec1.wav\n');
    await put(join(data, 'text'), 'utt1 HELLO THERE\nutt2 GOOD BYE\n');
    await put(join(data, 'segments'), 'utt1 rec1 0.00 0.40\nutt2 rec1 0.50 0.95\n');
    const set = await importKaldiDataDir(data, { lang: 'en' });
    expect(set.samples).toEqual([
      { id: 'utt1', task: 'asr', audio: join(dir, 'wav', 'rec1.wav'), reference: 'HELLO THERE', lang: 'en', tags: [], start_s: 0, end_s: 0.4 },
      { id: 'utt2', task: 'asr', audio: join(dir, 'wav', 'rec1.wav'), reference: 'GOOD BYE', lang: 'en', tags: [], start_s: 0.5, end_s: 0.95 },
    ]);
    // The written manifest keeps the segments and points at the shared recording.
    const written = await writeImportedManifest(set, { outDir: dir });
    const m = await parseManifest(written.manifestPath);
    expect(m.samples.map((s) => [s.audio, s.start_s, s.end_s])).toEqual([
      ['wav/rec1.wav', 0, 0.4],
      ['wav/rec1.wav', 0.5, 0.95],
    ]);
  });

  it('uses recording ids without segments, and refuses piped commands and bad segments', async () => {
    const data = join(dir, 'd');
    await put(join(data, 'r1.wav'), toneWav(0.2));
    await put(join(data, 'wav.scp'), `r1 ${join(data, 'r1.wav')}\n`);
    await put(join(data, 'text'), 'r1 SOME WORDS\n');
    expect((await importKaldiDataDir(data, {})).samples[0]).toMatchObject({ id: 'r1', audio: join(data, 'r1.wav'), reference: 'SOME WORDS' });

    await put(join(data, 'wav.scp'), 'r1 sox in.flac -t wav - |\n');
    expect((await rejection(importKaldiDataDir(data, {}))).message).toMatch(/wav\.scp:1: path: piped command/);

    await put(join(data, 'wav.scp'), `r1 ${join(data, 'r1.wav')}\n`);
    await put(join(data, 'segments'), 'r1 r1 0.5 0.2\n');
    const seg = await rejection(importKaldiDataDir(data, {}));
    expect([seg.line, seg.field]).toEqual([1, 'start_s']);

    await put(join(data, 'wav.scp'), 'r1 /data/raw.ark:1234\n');
    expect((await rejection(importKaldiDataDir(data, {}))).message).toMatch(/wav\.scp:1: path: r1 points into an archive/);
  });

  it('reads segments as extract-segments does: an end of -1 runs to the end, a 5th field is the channel; transcripts split on any whitespace', async () => {
    const data = join(dir, 'k');
    await put(join(data, 'r1.wav'), toneWav(1));
    await put(join(data, 'wav.scp'), `r1 ${join(data, 'r1.wav')}\n`);
    await put(join(data, 'text'), 'u1 HELLO\tTHERE  FRIEND\nu2 GOOD BYE\n');
    await put(join(data, 'segments'), 'u1 r1 0.5 -1.0\nu2 r1 0.1 0.4 0\n');
    const set = await importKaldiDataDir(data, {});
    expect(set.samples.map((x) => [x.id, x.reference, x.start_s, x.end_s])).toEqual([
      ['u1', 'HELLO THERE FRIEND', 0.5, undefined],
      ['u2', 'GOOD BYE', 0.1, 0.4],
    ]);
    await put(join(data, 'segments'), 'u1 r1 0.5 -1\nu2 r1 0.1 0.4 1\n');
    const err = await rejection(importKaldiDataDir(data, {}));
    expect([err.line, err.field]).toEqual([2, 'channel']);
  });
});

describe('NeMo manifest', () => {
  it('reads whole files and offset/duration segments, resolving paths from the manifest folder', async () => {
    await put(join(dir, 'audio', 'a.wav'), toneWav(2));
    await put(
      join(dir, 'manifest.json'),
      [
        { audio_filepath: 'audio/a.wav', text: 'whole file', duration: 2.0 },
        { audio_filepath: 'audio/a.wav', text: 'first part', duration: 0.75, offset: 0.25 },
        { audio_filepath: join(dir, 'audio', 'a.wav'), text: 'whole again', duration: 2.0, lang: 'de' },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    const set = await importNemoManifest(join(dir, 'manifest.json'), { lang: 'en' });
    expect(set.samples).toEqual([
      { id: 'a', task: 'asr', audio: join(dir, 'audio', 'a.wav'), reference: 'whole file', lang: 'en', tags: [], duration_s: 2 },
      { id: 'a_250', task: 'asr', audio: join(dir, 'audio', 'a.wav'), reference: 'first part', lang: 'en', tags: [], start_s: 0.25, end_s: 1 },
      { id: 'a_l3', task: 'asr', audio: join(dir, 'audio', 'a.wav'), reference: 'whole again', lang: 'de', tags: [], duration_s: 2 },
    ]);
    const written = await writeImportedManifest(set, { outDir: dir });
    expect((await parseManifest(written.manifestPath)).samples.map((x) => [x.id, x.start_s, x.end_s])).toEqual([
      ['a', undefined, undefined],
      ['a_250', 0.25, 1],
      ['a_l3', undefined, undefined],
    ]);
  });

  it('keeps the ids the manifest names, and generated ids step aside for them', async () => {
    await put(join(dir, 'audio', 'a.wav'), toneWav(0.2));
    await put(
      join(dir, 'ids.json'),
      [
        { audio_filepath: 'audio/a.wav', text: 'one', duration: 0.2 },
        { audio_filepath: 'audio/a.wav', text: 'two', duration: 0.2, utt_id: 'a' },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    expect((await importNemoManifest(join(dir, 'ids.json'), {})).samples.map((x) => [x.id, x.reference])).toEqual([
      ['a_l1', 'one'],
      ['a', 'two'],
    ]);
  });

  it('names the line and field of a bad entry', async () => {
    await put(
      join(dir, 'm.json'),
      `${JSON.stringify({ audio_filepath: 'x.wav', text: 'ok', duration: 1 })}\n${JSON.stringify({ audio_filepath: 'y.wav', offset: 1, text: 't' })}\n`,
    );
    const err = await rejection(importNemoManifest(join(dir, 'm.json'), {}));
    expect([err.line, err.field]).toEqual([2, 'duration']);
  });
});

describe('Common Voice TSV', () => {
  it('reads path and sentence, tags accent, gender and age, skips absent clips', async () => {
    await put(
      join(dir, 'test.tsv'),
      'client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccents\tlocale\n' +
        'c1\tcommon_voice_en_1.mp3\tThe sky is blue.\t2\t0\ttwenties\tfemale\tIndia and South Asia\ten\n' +
        'c2\tcommon_voice_en_2.mp3\tHello there.\t2\t0\t\t\t\ten\n' +
        'c3\tcommon_voice_en_3.mp3\tNot downloaded.\t2\t0\t\t\t\ten\n',
    );
    await put(join(dir, 'clips', 'common_voice_en_1.mp3'), 'x');
    await put(join(dir, 'clips', 'common_voice_en_2.mp3'), 'y');
    const set = await importCommonVoice(join(dir, 'test.tsv'), {});
    expect(set.samples).toEqual([
      {
        id: 'common_voice_en_1',
        task: 'asr',
        audio: join(dir, 'clips', 'common_voice_en_1.mp3'),
        reference: 'The sky is blue.',
        lang: 'en',
        tags: ['asr/crowd-sourced', 'asr/accented', 'speaker/gender/female', 'speaker/age/twenties'],
      },
      {
        id: 'common_voice_en_2',
        task: 'asr',
        audio: join(dir, 'clips', 'common_voice_en_2.mp3'),
        reference: 'Hello there.',
        lang: 'en',
        tags: ['asr/crowd-sourced'],
      },
    ]);
    expect(set.skipped).toEqual([{ id: 'common_voice_en_3', reason: expect.stringMatching(/not found/) as unknown }]);
  });

  it('names the missing header column', async () => {
    await put(join(dir, 'bad.tsv'), 'client_id\tfile\tsentence\n');
    const err = await rejection(importCommonVoice(join(dir, 'bad.tsv'), {}));
    expect([err.line, err.field]).toEqual([1, 'path']);
  });
});

describe('AISHELL transcript', () => {
  it('joins space-separated words and finds audio under wav/<split>/<speaker>/', async () => {
    const root = join(dir, 'data_aishell');
    await put(
      join(root, 'transcript', 'aishell_transcript_v0.8.txt'),
      'BAC009S0724W0121 广州市 房地产 中介 协会 分析\nBAC009S0002W0122 而 对 楼市 成交 抑制 作用 最 大 的 限 购\n',
    );
    await put(join(root, 'wav', 'test', 'S0724', 'BAC009S0724W0121.wav'), toneWav(0.1));
    for (const p of [root, join(root, 'transcript', 'aishell_transcript_v0.8.txt')]) {
      const set = await importAishell(p, {});
      expect(set.samples).toEqual([
        {
          id: 'BAC009S0724W0121',
          task: 'asr',
          audio: join(root, 'wav', 'test', 'S0724', 'BAC009S0724W0121.wav'),
          reference: '广州市房地产中介协会分析',
          lang: 'zh',
          tags: ['asr/read-speech', 'aishell/test'],
        },
      ]);
      expect(set.skipped.map((s) => s.id)).toEqual(['BAC009S0002W0122']);
    }
  });
});

describe('OCRBench JSON', () => {
  it('maps recognition types to ocr and the rest to vqa, with type and source tags', async () => {
    await put(join(dir, 'OCRBench_Images', 'IIIT5K', '1.png'), 'png');
    await put(join(dir, 'OCRBench_Images', 'docVQA', '2.png'), 'png');
    await put(
      join(dir, 'OCRBench.json'),
      JSON.stringify([
        {
          dataset_name: 'IIIT5K',
          id: 0,
          image_path: './OCRBench_Images/IIIT5K/1.png',
          question: 'what is written in the image?',
          answers: 'CHAIN',
          type: 'Regular Text Recognition',
        },
        {
          dataset_name: 'docVQA',
          id: 1,
          image_path: './OCRBench_Images/docVQA/2.png',
          question: 'What is the date?',
          answers: ['May 3', 'May 3rd'],
          type: 'Doc-oriented VQA',
        },
      ]),
    );
    const set = await importOcrBench(join(dir, 'OCRBench.json'), {});
    expect(set.samples).toEqual([
      {
        id: '0',
        task: 'ocr',
        image: join(dir, 'OCRBench_Images', 'IIIT5K', '1.png'),
        question: 'what is written in the image?',
        reference: 'CHAIN',
        tags: ['ocr/regular-text-recognition', 'ocrbench/iiit5k'],
      },
      {
        id: '1',
        task: 'vqa',
        image: join(dir, 'OCRBench_Images', 'docVQA', '2.png'),
        question: 'What is the date?',
        reference: ['May 3', 'May 3rd'],
        tags: ['ocr/doc-oriented-vqa', 'ocrbench/docvqa'],
      },
    ]);
  });

  it('names the entry with a missing field', async () => {
    await put(
      join(dir, 'o.json'),
      JSON.stringify([
        { id: 0, image_path: 'a.png', answers: 'x' },
        { id: 1, answers: 'y' },
      ]),
    );
    const err = await rejection(importOcrBench(join(dir, 'o.json'), {}));
    expect([err.line, err.field]).toEqual([2, 'image_path']);
  });
});

describe('Video-MME JSON', () => {
  it('reads flat rows: strips option labels, keeps the answer letter, tags duration/domain/task', async () => {
    await put(join(dir, 'videos', 'fFjv93ACGo8.mp4'), 'mp4');
    await put(
      join(dir, 'videomme.json'),
      JSON.stringify([
        {
          video_id: '001',
          duration: 'short',
          domain: 'Knowledge',
          sub_category: 'Humanity & History',
          videoID: 'fFjv93ACGo8',
          question_id: '001-1',
          task_type: 'Counting Problem',
          question: 'How many people appear?',
          options: ['A. One.', 'B. Two.', 'C. Three.', 'D. Four.'],
          answer: 'C',
        },
        { video_id: '002', videoID: 'missing', question_id: '002-1', question: 'Q?', options: ['A. x', 'B. y'], answer: 'A' },
      ]),
    );
    const set = await importVideoMme(join(dir, 'videomme.json'), {});
    expect(set.samples).toEqual([
      {
        id: '001-1',
        task: 'mcq',
        video: join(dir, 'videos', 'fFjv93ACGo8.mp4'),
        question: 'How many people appear?',
        choices: ['One.', 'Two.', 'Three.', 'Four.'],
        answer: 'C',
        lang: 'en',
        tags: ['video/duration/short', 'video/domain/knowledge', 'video/sub-category/humanity-history', 'video/task/counting-problem'],
      },
    ]);
    expect(set.skipped.map((s) => s.id)).toEqual(['002-1']);
  });

  it('reads the nested layout and rejects an answer that is not an option letter', async () => {
    await put(join(dir, 'data', '003.mp4'), 'mp4');
    const question = { question_id: '003-1', task_type: 'Action Reasoning', question: 'Why?', options: ['A. a', 'B. b', 'C. c', 'D. d'], answer: 'B' };
    const nested = [{ video_id: '003', duration: 'long', domain: 'Sports Competition', questions: [question] }];
    await put(join(dir, 'nested.json'), JSON.stringify(nested));
    const set = await importVideoMme(join(dir, 'nested.json'), {});
    expect(set.samples[0]).toMatchObject({ id: '003-1', video: join(dir, 'data', '003.mp4'), choices: ['a', 'b', 'c', 'd'], answer: 'B' });
    expect(set.samples[0]?.tags).toContain('video/duration/long');

    question.answer = 'E';
    await put(join(dir, 'nested.json'), JSON.stringify(nested));
    const err = await rejection(importVideoMme(join(dir, 'nested.json'), {}));
    expect([err.line, err.field]).toEqual([1, 'questions[0].answer']);
  });

  it('strips the usual label forms', () => {
    expect(stripOptionLabel('A. Red', 'A')).toBe('Red');
    expect(stripOptionLabel('(B) Blue', 'B')).toBe('Blue');
    expect(stripOptionLabel('C) Green', 'C')).toBe('Green');
    expect(stripOptionLabel('Amber', 'A')).toBe('Amber');
  });
});

describe('generic JSONL with --map', () => {
  it('maps nested source fields, defaults same-named ones, converts index answers', async () => {
    await put(join(dir, 'clips', 'x.wav'), toneWav(0.1));
    await put(join(dir, 'img', 'p.png'), 'png');
    await put(
      join(dir, 'export.jsonl'),
      [
        JSON.stringify({ uid: 7, files: { wav: 'clips/x.wav' }, annotation: { text: 'hi there' }, lang: 'en' }),
        JSON.stringify({ uid: 8, task: 'mcq', files: { img: 'img/p.png' }, q: 'Which?', opts: ['a', 'b', 'c'], gold: 2, tags: 'ocr/chart, hard' }),
      ].join('\n'),
    );
    const map = parseFieldMap(['id=uid', 'audio=files.wav', 'image=files.img', 'reference=annotation.text', 'question=q', 'choices=opts', 'answer=gold']);
    const set = await importGenericJsonl(join(dir, 'export.jsonl'), { map, task: 'asr', tags: ['src/export'] });
    expect(set.samples).toEqual([
      { id: '7', task: 'asr', audio: join(dir, 'clips', 'x.wav'), reference: 'hi there', lang: 'en', tags: ['src/export'] },
      {
        id: '8',
        task: 'mcq',
        image: join(dir, 'img', 'p.png'),
        question: 'Which?',
        choices: ['a', 'b', 'c'],
        answer: 'C',
        tags: ['ocr/chart', 'hard', 'src/export'],
      },
    ]);
  });

  it('names the source line and the mapping of an invalid result', async () => {
    await put(
      join(dir, 'e.jsonl'),
      `${JSON.stringify({ id: 'a', task: 'asr', audio: 'a.wav', text: 'x' })}\n${JSON.stringify({ id: 'b', task: 'asr', audio: 'b.wav' })}\n`,
    );
    const err = await rejection(importGenericJsonl(join(dir, 'e.jsonl'), { map: { reference: 'text' } }));
    expect([err.line, err.field]).toEqual([2, 'reference']);
    expect(err.detail).toMatch(/mapped from text/);
    expect(() => parseFieldMap(['colour=x'])).toThrow(/unknown manifest field colour/);
    expect(getPath({ a: [{ b: 1 }] }, 'a[0].b')).toBe(1);
  });
});

describe('writeImportedManifest', () => {
  it('copies media from outside --out into media/ and writes relative paths that parse', async () => {
    const src = join(dir, 'src');
    await put(join(src, 'deep', 'a.wav'), toneWav(0.1));
    const set = { samples: [{ id: 'a', task: 'asr' as const, audio: join(src, 'deep', 'a.wav'), reference: 'x', tags: [] }], sourceDir: src, skipped: [] };
    const out = join(dir, 'out');
    const w = await writeImportedManifest(set, { outDir: out });
    expect(w.copiedFiles).toBe(1);
    const m = await parseManifest(w.manifestPath);
    expect(m.samples[0]?.audio).toBe('media/a.wav');
    expect(existsSync(join(out, 'media', 'a.wav'))).toBe(true);
    expect(await readFile(join(out, 'media', 'a.wav'))).toEqual(await readFile(join(src, 'deep', 'a.wav')));
    // Without --out the manifest lands in the source folder and nothing is copied.
    const inPlace = await writeImportedManifest(set);
    expect([inPlace.manifestPath, inPlace.copiedFiles]).toEqual([join(src, 'evalgate-manifest.jsonl'), 0]);
    expect((await parseManifest(inPlace.manifestPath)).samples[0]?.audio).toBe('deep/a.wav');
  });
});
