// British→American spelling maps. `english-spelling.json` is Whisper's
// `whisper/normalizers/english.json` (MIT, OpenAI), stored verbatim as data.
// The Open ASR Leaderboard keeps its own copy (`normalizer/english_abbreviations.py`,
// `english_spelling_normalizer`); it equals Whisper's map plus the edits below.
import whisperMap from './english-spelling.json' with { type: 'json' };

// Open ASR Leaderboard map = Whisper map with these entries added / replaced / removed.
const OPEN_ASR_SET: Readonly<Record<string, string>> = {
  ok: 'okay',
  kay: 'okay',
  etcetera: 'etc',
  archaeological: 'archeological',
  cancellation: 'cancelation',
  cancellations: 'cancelations',
  flyer: 'flier',
  mm: 'hmm',
  pummelled: 'pummeled',
  pummelling: 'pummeling',
  snowploughs: 'snowplows',
  travelogue: 'travelog',
  travelogues: 'travelogs',
};
const OPEN_ASR_REMOVE = ['archeological', 'cancelation', 'cancelations', 'flyer / flier', 'travelog', 'travelogs'];

let whisper: ReadonlyMap<string, string> | null = null;
let openAsr: ReadonlyMap<string, string> | null = null;

/** Whisper's `EnglishSpellingNormalizer` mapping. */
export function whisperSpelling(): ReadonlyMap<string, string> {
  whisper ??= new Map(Object.entries(whisperMap as Record<string, string>));
  return whisper;
}

/** The Open ASR Leaderboard's `english_spelling_normalizer` mapping. */
export function openAsrSpelling(): ReadonlyMap<string, string> {
  if (!openAsr) {
    const m = new Map(whisperSpelling());
    for (const k of OPEN_ASR_REMOVE) m.delete(k);
    for (const [k, v] of Object.entries(OPEN_ASR_SET)) m.set(k, v);
    openAsr = m;
  }
  return openAsr;
}
