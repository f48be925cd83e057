import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, isAbsolute } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/defined.js';
import { ManifestError, mediaPaths, parseManifest, parseManifestText, resolveManifestPath, resolveMediaPath } from '../../datasets/parse-manifest.js';
import { anyJson, fuzzParams, watchProcess } from './fuzz-kit.js';

const root = '/data/set';
const fields = [
  'id',
  'task',
  'audio',
  'image',
  'images',
  'video',
  'reference',
  'question',
  'choices',
  'answer',
  'lang',
  'tags',
  'duration_s',
  'start_s',
  'end_s',
  'extra',
];
const pathLike = fc.oneof(
  fc.constantFrom('a.wav', 'sub/b.png', '../x.wav', '/etc/passwd', '/data/set/in.wav', './c.mp4', 'a/../../b', '', '.', 'a\u0000b', '..\\..\\w'),
  fc.string({ maxLength: 16 }),
);
/** Plausible values per field, mixed with any JSON, so lines are often valid and often almost valid. */
const fieldValue: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof(fc.constantFrom('s1', 's2', 's1', ''), fc.string({ maxLength: 8 })),
  task: fc.constantFrom('asr', 'ocr', 'vqa', 'mcq', 'ASR', 'nope'),
  audio: pathLike,
  image: pathLike,
  images: fc.array(pathLike, { maxLength: 3 }),
  video: pathLike,
  reference: fc.oneof(fc.string({ maxLength: 12 }), fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 })),
  question: fc.string({ maxLength: 12 }),
  choices: fc.array(fc.string({ maxLength: 6 }), { maxLength: 5 }),
  answer: fc.constantFrom('A', 'B', 'E', 'Z', 'a', 'AB', ''),
  lang: fc.constantFrom('en', 'zh', ''),
  tags: fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
  duration_s: fc.oneof(fc.double(), fc.integer()),
  start_s: fc.oneof(fc.double(), fc.integer({ min: -2, max: 5 })),
  end_s: fc.oneof(fc.double(), fc.integer({ min: -2, max: 5 })),
  extra: anyJson,
};
const sampleLine = fc
  .dictionary(fc.constantFrom(...fields), fc.constant(null), { maxKeys: 8 })
  .chain((keys) =>
    fc.record(
      Object.fromEntries(
        Object.keys(keys).map((k) => [
          k,
          fc.oneof({ arbitrary: defined(fieldValue[k], `an arbitrary for field ${k}`), weight: 4 }, { arbitrary: anyJson, weight: 1 }),
        ]),
      ),
    ),
  )
  .map((o) => JSON.stringify(o));
/** Well-formed samples per task, sometimes with one field replaced by anything. */
const validSample = fc
  .tuple(
    fc.oneof(
      fc.record(
        {
          id: fieldValue.id!,
          task: fc.constant('asr'),
          audio: pathLike,
          reference: fieldValue.reference!,
          start_s: fc.integer({ min: 0, max: 3 }),
          end_s: fc.integer({ min: 1, max: 6 }),
        },
        { requiredKeys: ['id', 'task', 'audio', 'reference'] },
      ),
      fc.record({ id: fieldValue.id!, task: fc.constant('ocr'), image: pathLike, reference: fieldValue.reference!, tags: fieldValue.tags! }),
      fc.record({
        id: fieldValue.id!,
        task: fc.constant('mcq'),
        video: pathLike,
        question: fieldValue.question!,
        choices: fc.array(fc.string({ maxLength: 5 }), { minLength: 2, maxLength: 4 }),
        answer: fc.constantFrom('A', 'B', 'C'),
      }),
      fc.record({
        id: fieldValue.id!,
        task: fc.constant('vqa'),
        images: fc.array(pathLike, { minLength: 1, maxLength: 2 }),
        question: fieldValue.question!,
        reference: fieldValue.reference!,
        lang: fieldValue.lang!,
      }),
    ),
    fc.option(fc.tuple(fc.constantFrom(...fields), anyJson), { freq: 3 }),
  )
  .map(([o, mutation]) => JSON.stringify(mutation ? { ...o, [mutation[0]]: mutation[1] } : o));
const line = fc.oneof(
  { arbitrary: validSample, weight: 6 },
  { arbitrary: sampleLine, weight: 3 },
  { arbitrary: fc.constantFrom('', '   ', '{', '[]', 'null', '"x"', '{"id":"a","task":"asr"', '\uFEFF{}'), weight: 1 },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 1 },
  { arbitrary: anyJson.map((v) => JSON.stringify(v) ?? 'undefined'), weight: 1 },
);
const manifestText = fc
  .tuple(fc.oneof(fc.array(line, { minLength: 1, maxLength: 2 }), fc.array(line, { maxLength: 6 })), fc.constantFrom('\n', '\r\n'))
  .map(([lines, eol]) => lines.join(eol));

describe('fuzzing the manifest parser', () => {
  let watcher: ReturnType<typeof watchProcess>;
  let dir: string;
  beforeAll(async () => {
    watcher = watchProcess();
    dir = await mkdtemp(join(tmpdir(), 'evalgate-fuzz-manifest-'));
  });
  afterAll(async () => {
    watcher?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns valid samples or throws a ManifestError naming a real line; never anything else', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(manifestText, (text) => {
        const lineCount = text.split(/\r?\n/).length;
        let samples;
        try {
          samples = parseManifestText(text, 'm.jsonl', root);
        } catch (err) {
          expect(err, String((err as Error)?.stack)).toBeInstanceOf(ManifestError);
          const e = err as ManifestError;
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.line).toBeLessThanOrEqual(lineCount);
          expect(e.field.length).toBeGreaterThan(0);
          expect(e.message.startsWith(`m.jsonl:${e.line}: `)).toBe(true);
          rejected++;
          return;
        }
        if (samples.length > 0) accepted++;
        // Accepted: unique ids; media may lie anywhere (import pins each file), and every path resolves to
        // one absolute file, which the lexical containment rule accepts exactly when it is inside the root.
        expect(new Set(samples.map((s) => s.id)).size).toBe(samples.length);
        for (const s of samples) {
          expect(s.id.length).toBeGreaterThan(0);
          for (const m of mediaPaths(s)) {
            expect(m.path.length).toBeGreaterThan(0);
            const abs = resolveManifestPath(root, m.path);
            expect(isAbsolute(abs), m.path).toBe(true);
            const rel = relative(root, abs);
            const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
            expect(resolveMediaPath(root, m.path), m.path).toBe(inside ? abs : undefined);
          }
        }
      }),
      fuzzParams(600),
    );
    // Not vacuous: the generator reaches both outcomes.
    expect(accepted).toBeGreaterThan(5);
    expect(rejected).toBeGreaterThan(5);
  });

  it('parseManifest on real files agrees with parseManifestText and maps each id to its line', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(manifestText, async (text) => {
        const file = join(dir, `m${n++}.jsonl`);
        await writeFile(file, text);
        let direct: unknown;
        try {
          direct = parseManifestText(text, file, dir);
        } catch (err) {
          direct = err;
        }
        try {
          const m = await parseManifest(file);
          expect(m.samples).toEqual(direct);
          const lines = text.split(/\r?\n/);
          for (const [id, lineNo] of m.lineOf) {
            const line = lines[lineNo - 1];
            expect(line, `line ${lineNo} of "${id}" is past the end`).toBeDefined();
            expect((JSON.parse(line ?? '') as { id: string }).id).toBe(id);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(ManifestError);
          expect((err as Error).message).toBe((direct as Error).message);
        }
      }),
      fuzzParams(100),
    );
  });

  it('nothing fired on the process', () => {
    expect(watcher.fired()).toEqual([]);
  });
});
