import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SeededRandom } from './seeded-random.js';
import { synthSpeech, wavDataRange, type SpeechSpec } from './speech-clips.js';
import { scenarioNames, type ScenarioName } from '../../scorers/duplex/turn-taking-scenario.js';

/**
 * `evalgate datasets synth turn-taking`: the user side of Full-Duplex-Bench's
 * four tests (issue 17) as 16-kHz mono 16-bit WAV files plus a manifest whose
 * event times are measured from the samples written, not estimated. Each
 * utterance is spoken by espeak-ng (converted by sox, see synthSpeech), cut to
 * where its waveform first and last reaches -40 dBFS, and laid out between
 * digital silences here, so every onset and offset is a known sample index.
 */

/** The scenarios, in the order they are generated (the duplex task's list). */
export const turnTakingScenarios = scenarioNames;

/** A scenario kind. */
export type TurnTakingScenarioName = ScenarioName;

/** Event times of one file, seconds from its start (rounded to ms). */
export interface TurnTakingEvents {
  /** End of the user's last speech. */
  readonly turn_end_s: number;
  /** pause-handling: the silences inside the sentence, [start, end]. */
  readonly pauses?: Array<[number, number]>;
  /** user-interruption: end of the first question. */
  readonly first_turn_end_s?: number;
  /** user-interruption: onset of the barge-in. */
  readonly barge_in_s?: number;
}

/** One manifest line (task `duplex`). */
export interface TurnTakingSample {
  readonly id: string;
  readonly task: 'duplex';
  readonly audio: string;
  readonly scenario: TurnTakingScenarioName;
  readonly events: TurnTakingEvents;
  readonly duration_s: number;
  readonly lang: 'en';
  readonly tags: string[];
}

/** Options of {@link synthTurnTakingSet}. */
export interface TurnTakingSetOptions {
  /** Output folder: audio/<id>.wav and manifest.jsonl are written there. */
  readonly outDir: string;
  /** Seed for sentences, splits, voices and silence lengths. */
  readonly seed: number;
  /** Files per scenario (1 to {@link maxTurnTakingCount}). */
  readonly count: number;
  /** Called after each file is written. */
  readonly onFile?: (sample: TurnTakingSample) => void;
  /** Cancels the work. */
  readonly signal?: AbortSignal;
}

/** What {@link synthTurnTakingSet} wrote. */
export interface TurnTakingSetResult {
  /** The manifest. */
  readonly manifestPath: string;
  /** Its lines. */
  readonly samples: TurnTakingSample[];
  /** Bytes of the audio files and the manifest. */
  readonly totalBytes: number;
}

const RATE = 16000;
/** Silence before the first word of every file. */
const LEADING_S = 0.5;
/** Silence after the user's turn in which a model may answer. */
const TRAILING_S = 6;
/** user-interruption: silence after the question in which the model starts answering. */
const ANSWER_GAP_S = 3;
/** backchannel: silence after the monologue. */
const BACKCHANNEL_TRAILING_S = 3;
/** backchannel: at least this much speech. */
const MONOLOGUE_MIN_S = 15;
/** |sample| at or above this (-40 dBFS) counts as speech when trimming espeak-ng's own silences. */
const SPEECH_LEVEL = 328;

// Long single sentences, so that a cut leaves each part at least two words.
const pauseSentences = [
  'I was thinking that we could take the train to the coast on Saturday morning.',
  'The report that you sent me last week still needs a few more numbers in the second table.',
  'My sister told me that the new bakery near the station sells the best bread in town.',
  'If the weather stays like this we should probably move the picnic to next weekend.',
  'The thing I wanted to ask you about is the meeting with the design team on Thursday.',
  'When I got home yesterday I found that the kitchen window had been left wide open.',
  'We need to decide which of the three apartments we saw is closest to your office.',
  'The best way to learn a new language is probably to speak it every single day.',
  'Before you leave tonight could you check that all the lights in the hall are off.',
  'What I really liked about the film was the music and the long scenes by the sea.',
];

const questions = [
  'What is the tallest mountain in the world?',
  'Can you tell me how to make a cup of green tea?',
  'How far is the moon from the earth?',
  'What should I pack for a weekend trip to the mountains?',
  'Why is the sky blue during the day?',
  'Which planet in our solar system is the largest?',
  'How many days are there in a leap year?',
  'What is a good name for a small grey cat?',
  'How do I keep basil plants alive indoors?',
  'Who wrote the play Romeo and Juliet?',
];

// A question, then what the user says over the model's answer.
const interruptions: Array<[string, string]> = [
  ['Can you explain how a rainbow forms?', 'Sorry, wait, can you make that much shorter?'],
  ['What are some good places to visit in Italy?', 'Actually, I only care about places near Rome.'],
  ['How do airplanes stay in the air?', 'Hold on, explain it like I am five years old.'],
  ['Tell me about the history of the bicycle.', 'Wait, just tell me when it was invented.'],
  ['What is the best way to cook rice?', 'Sorry, I meant brown rice, not white rice.'],
  ['Can you describe how the heart works?', 'Stop, I only need to know how many chambers it has.'],
  ['What should I know before adopting a dog?', 'Actually, let us talk about cats instead.'],
  ['How does a refrigerator keep food cold?', 'Wait, can you say that again more slowly?'],
  ['What are the rules of chess?', 'Sorry, just tell me how the knight moves.'],
  ['Why do leaves change colour in autumn?', 'Hold on, does that happen in tropical countries too?'],
];

// Sentences of a monologue; each file speaks a seeded selection until it has 15 s of speech.
const monologueSentences = [
  'Last summer I decided to walk along the old canal path from the city to the sea.',
  'The first day was easy, with flat ground and plenty of shade from the trees.',
  'On the second day it started raining just after lunch and did not stop until evening.',
  'I found a small guest house where the owner made me soup and dried my boots by the fire.',
  'She told me that the canal had been built more than two hundred years ago.',
  'Boats used to carry coal and grain all the way down to the harbour.',
  'Now it is mostly used by people on holiday and by a few families who live on their boats.',
  'On the third morning the sky was clear and I could see the hills in the distance.',
  'I met an old man fishing from the bank who had lived there all his life.',
  'He said the water was much cleaner now than when he was a boy.',
  'By the afternoon I could smell the salt in the air and hear the gulls.',
  'When I finally reached the beach I sat down on the sand and took off my shoes.',
  'It was the longest walk I have ever done, and I would happily do it again.',
  'Next year I want to try the mountain trail that starts from the same village.',
];

const voices = ['en-us', 'en-us', 'en-gb'];

/** The most files per scenario: each needs its own sentence. */
export const maxTurnTakingCount = Math.min(pauseSentences.length, questions.length, interruptions.length);

/** One speaker per file: voice, speed and pitch drawn from the seed. */
interface Speaker {
  readonly voice: string;
  readonly speedWpm: number;
  readonly pitch: number;
}

/** A file being laid out: 16-bit samples appended in order, with event positions in samples. */
class Timeline {
  readonly #parts: Int16Array[] = [];
  #length = 0;

  /** Current end, in samples. */
  get length(): number {
    return this.#length;
  }

  silence(seconds: number): void {
    this.append(new Int16Array(Math.round(seconds * RATE)));
  }

  append(samples: Int16Array): void {
    this.#parts.push(samples);
    this.#length += samples.length;
  }

  wav(): Buffer {
    const out = Buffer.alloc(44 + this.#length * 2);
    out.write('RIFF', 0, 'ascii');
    out.writeUInt32LE(36 + this.#length * 2, 4);
    out.write('WAVE', 8, 'ascii');
    out.write('fmt ', 12, 'ascii');
    out.writeUInt32LE(16, 16);
    out.writeUInt16LE(1, 20); // PCM
    out.writeUInt16LE(1, 22); // mono
    out.writeUInt32LE(RATE, 24);
    out.writeUInt32LE(RATE * 2, 28);
    out.writeUInt16LE(2, 32);
    out.writeUInt16LE(16, 34);
    out.write('data', 36, 'ascii');
    out.writeUInt32LE(this.#length * 2, 40);
    let at = 44;
    for (const p of this.#parts) {
      Buffer.from(p.buffer, p.byteOffset, p.byteLength).copy(out, at);
      at += p.byteLength;
    }
    return out;
  }
}

/** Seconds from samples, rounded to the millisecond. */
function secondsAt(sample: number): number {
  return Math.round((sample * 1000) / RATE) / 1000;
}

/**
 * The speech inside an espeak-ng clip: from the first to the last sample at
 * -40 dBFS or louder, widened to the neighbouring zero crossings (at most 10
 * ms) so that the cut does not click.
 */
export function trimSpeech(samples: Int16Array): Int16Array {
  let first = samples.findIndex((v) => Math.abs(v) >= SPEECH_LEVEL);
  if (first < 0) throw new Error('espeak-ng produced a silent clip');
  let last = samples.length - 1;
  while (Math.abs(samples[last]!) < SPEECH_LEVEL) last--;
  const limit = RATE / 100;
  for (let n = 0; first > 0 && n < limit && Math.sign(samples[first - 1]!) === Math.sign(samples[first]!); n++) first--;
  for (let n = 0; last < samples.length - 1 && n < limit && Math.sign(samples[last + 1]!) === Math.sign(samples[last]!); n++) last++;
  return samples.slice(first, last + 1);
}

/** Speaks one utterance and returns its trimmed 16-kHz samples. */
async function speak(text: string, speaker: Speaker, tmp: string, signal: AbortSignal | undefined): Promise<Int16Array> {
  const path = join(tmp, 'utterance.wav');
  const spec: SpeechSpec = { text, ...speaker };
  await synthSpeech(spec, path, { signal });
  const wav = await readFile(path);
  const { offset, length } = wavDataRange(wav);
  const samples = new Int16Array(length / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = wav.readInt16LE(offset + 2 * i);
  return trimSpeech(samples);
}

/** Cuts a sentence into 2 or 3 parts of at least two words each; non-final parts end with a comma (continuing intonation). */
function splitSentence(sentence: string, rng: SeededRandom): string[] {
  const words = sentence.split(' ');
  const n = words.length;
  const cuts = n >= 8 && rng.next() < 0.5 ? threeWayCuts(n, rng) : [rng.int(2, n - 2)];
  const parts: string[] = [];
  let from = 0;
  for (const cut of [...cuts, n]) {
    parts.push(words.slice(from, cut).join(' '));
    from = cut;
  }
  return parts.map((p, i) => (i < parts.length - 1 ? `${p.replace(/[,.]$/, '')},` : p));
}

function threeWayCuts(n: number, rng: SeededRandom): number[] {
  const a = rng.int(2, Math.floor(n / 2) - 1);
  return [a, rng.int(a + 2, n - 2)];
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * Writes `count` files of each scenario and their manifest. Every choice comes
 * from `seed`, sox runs in its repeatable mode and the WAV files are
 * assembled here, so the same seed and espeak-ng version give the same bytes.
 */
export async function synthTurnTakingSet(opts: TurnTakingSetOptions): Promise<TurnTakingSetResult> {
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > maxTurnTakingCount) {
    throw new RangeError(`count must be an integer from 1 to ${maxTurnTakingCount}, got ${opts.count}`);
  }
  const out = resolve(opts.outDir);
  const audioDir = join(out, 'audio');
  await mkdir(audioDir, { recursive: true });
  // Replace only files this command names, so pointing --out at a folder with other audio leaves that audio alone.
  const ours = new RegExp(`^(${turnTakingScenarios.join('|')})-\\d+\\.wav$`);
  for (const name of await readdir(audioDir)) if (ours.test(name)) await rm(join(audioDir, name), { force: true });

  const rng = new SeededRandom(opts.seed);
  const tmp = await mkdtemp(join(tmpdir(), 'evalgate-turns-'));
  const samples: TurnTakingSample[] = [];
  let totalBytes = 0;
  try {
    const picks = {
      pause: rng.shuffle(pauseSentences).slice(0, opts.count),
      question: rng.shuffle(questions).slice(0, opts.count),
      interruption: rng.shuffle(interruptions).slice(0, opts.count),
    };
    const speakerOf = (): Speaker => ({ voice: rng.pick(voices), speedWpm: rng.int(145, 175), pitch: rng.int(35, 65) });
    const say = (text: string, speaker: Speaker): Promise<Int16Array> => speak(text, speaker, tmp, opts.signal);

    const write = async (scenario: TurnTakingScenarioName, i: number, t: Timeline, events: TurnTakingEvents): Promise<void> => {
      const id = `${scenario}-${pad2(i + 1)}`;
      const audio = `audio/${id}.wav`;
      const wav = t.wav();
      await writeFile(join(out, audio), wav);
      totalBytes += wav.length;
      const sample: TurnTakingSample = {
        id,
        task: 'duplex',
        audio,
        scenario,
        events,
        duration_s: secondsAt(t.length),
        lang: 'en',
        tags: [`duplex/${scenario}`],
      };
      samples.push(sample);
      opts.onFile?.(sample);
    };

    for (const [i, sentence] of picks.pause.entries()) {
      const speaker = speakerOf();
      const parts = splitSentence(sentence, rng);
      const t = new Timeline();
      t.silence(LEADING_S);
      const pauses: Array<[number, number]> = [];
      for (const [k, part] of parts.entries()) {
        if (k > 0) {
          const from = t.length;
          t.silence(Math.round(rng.range(1.5, 2.5) * 1000) / 1000);
          pauses.push([secondsAt(from), secondsAt(t.length)]);
        }
        t.append(await say(part, speaker));
      }
      const turnEnd = t.length;
      t.silence(TRAILING_S);
      await write('pause-handling', i, t, { turn_end_s: secondsAt(turnEnd), pauses });
    }

    for (const [i, question] of picks.question.entries()) {
      const speaker = speakerOf();
      const t = new Timeline();
      t.silence(LEADING_S);
      t.append(await say(question, speaker));
      const turnEnd = t.length;
      t.silence(TRAILING_S);
      await write('smooth-turn-taking', i, t, { turn_end_s: secondsAt(turnEnd) });
    }

    for (const [i, [question, bargeIn]] of picks.interruption.entries()) {
      const speaker = speakerOf();
      const t = new Timeline();
      t.silence(LEADING_S);
      t.append(await say(question, speaker));
      const firstEnd = t.length;
      t.silence(ANSWER_GAP_S);
      const bargeStart = t.length;
      t.append(await say(bargeIn, speaker));
      const turnEnd = t.length;
      t.silence(TRAILING_S);
      await write('user-interruption', i, t, {
        turn_end_s: secondsAt(turnEnd),
        first_turn_end_s: secondsAt(firstEnd),
        barge_in_s: secondsAt(bargeStart),
      });
    }

    for (let i = 0; i < opts.count; i++) {
      const speaker = speakerOf();
      const t = new Timeline();
      t.silence(LEADING_S);
      let speech = 0;
      // Consecutive sentences (wrapping round) from a seeded start: different files tell different parts of the story.
      const start = rng.int(0, monologueSentences.length - 1);
      for (let k = 0; speech < MONOLOGUE_MIN_S * RATE; k++) {
        if (k >= monologueSentences.length) throw new Error('the monologue sentences are too short for 15 s of speech');
        if (k > 0) t.silence(Math.round(rng.range(0.4, 0.8) * 1000) / 1000);
        const clip = await say(monologueSentences[(start + k) % monologueSentences.length]!, speaker);
        t.append(clip);
        speech += clip.length;
      }
      const turnEnd = t.length;
      t.silence(BACKCHANNEL_TRAILING_S);
      await write('backchannel', i, t, { turn_end_s: secondsAt(turnEnd) });
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  const manifestPath = join(out, 'manifest.jsonl');
  await writeFile(manifestPath, `${samples.map((s) => JSON.stringify(s)).join('\n')}\n`);
  totalBytes += (await stat(manifestPath)).size;
  return { manifestPath, samples, totalBytes };
}
