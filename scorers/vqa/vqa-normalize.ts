// The answer normalization of the official VQA evaluation (VQAEval in
// GT-Vision-Lab/VQA PythonEvaluationTools/vqaEvaluation/vqaEval.py): the
// whitespace clean-up every answer gets, then `processPunctuation` and
// `processDigitArticle`, which the official code applies only to questions
// whose human answers differ (see vqa-accuracy.ts). Python 3 semantics, as
// lmms-eval and every current runner execute it: `\d` is Unicode's decimal
// digits, `str.lower`/`str.split`/`str.strip` are Python's.
import { PY_D, pySplit, pyStrip } from '../normalizers/python-text.js';

/** The official `punct` list, in its order (the order matters: each mark is replaced in turn). */
export const VQA_PUNCT: readonly string[] = [';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\', '_', '-', '>', '<', '@', '`', ',', '?', '!'];

/** The official `articles`. */
export const VQA_ARTICLES: ReadonlySet<string> = new Set(['a', 'an', 'the']);

/** The official `manualMap`: number words (and "none") to digits. A Map, so words like `constructor` are plain words. */
export const VQA_MANUAL_MAP: ReadonlyMap<string, string> = new Map([
  ['none', '0'],
  ['zero', '0'],
  ['one', '1'],
  ['two', '2'],
  ['three', '3'],
  ['four', '4'],
  ['five', '5'],
  ['six', '6'],
  ['seven', '7'],
  ['eight', '8'],
  ['nine', '9'],
  ['ten', '10'],
]);

/**
 * The official `contractions` map, entries as upstream has them, quirks
 * included: keys with capitals (`Im`, `Ive`) never match a lowercased word, and
 * `somebody'd` maps to `somebodyd`.
 */
export const VQA_CONTRACTIONS: ReadonlyMap<string, string> = new Map([
  ['aint', "ain't"],
  ['arent', "aren't"],
  ['cant', "can't"],
  ['couldve', "could've"],
  ['couldnt', "couldn't"],
  ["couldn'tve", "couldn't've"],
  ["couldnt've", "couldn't've"],
  ['didnt', "didn't"],
  ['doesnt', "doesn't"],
  ['dont', "don't"],
  ['hadnt', "hadn't"],
  ["hadnt've", "hadn't've"],
  ["hadn'tve", "hadn't've"],
  ['hasnt', "hasn't"],
  ['havent', "haven't"],
  ['hed', "he'd"],
  ["hed've", "he'd've"],
  ["he'dve", "he'd've"],
  ['hes', "he's"],
  ['howd', "how'd"],
  ['howll', "how'll"],
  ['hows', "how's"],
  ["Id've", "I'd've"],
  ["I'dve", "I'd've"],
  ['Im', "I'm"],
  ['Ive', "I've"],
  ['isnt', "isn't"],
  ['itd', "it'd"],
  ["itd've", "it'd've"],
  ["it'dve", "it'd've"],
  ['itll', "it'll"],
  ["let's", "let's"],
  ['maam', "ma'am"],
  ['mightnt', "mightn't"],
  ["mightnt've", "mightn't've"],
  ["mightn'tve", "mightn't've"],
  ['mightve', "might've"],
  ['mustnt', "mustn't"],
  ['mustve', "must've"],
  ['neednt', "needn't"],
  ['notve', "not've"],
  ['oclock', "o'clock"],
  ['oughtnt', "oughtn't"],
  ["ow's'at", "'ow's'at"],
  ["'ows'at", "'ow's'at"],
  ["'ow'sat", "'ow's'at"],
  ['shant', "shan't"],
  ["shed've", "she'd've"],
  ["she'dve", "she'd've"],
  ["she's", "she's"],
  ['shouldve', "should've"],
  ['shouldnt', "shouldn't"],
  ["shouldnt've", "shouldn't've"],
  ["shouldn'tve", "shouldn't've"],
  ["somebody'd", 'somebodyd'],
  ["somebodyd've", "somebody'd've"],
  ["somebody'dve", "somebody'd've"],
  ['somebodyll', "somebody'll"],
  ['somebodys', "somebody's"],
  ['someoned', "someone'd"],
  ["someoned've", "someone'd've"],
  ["someone'dve", "someone'd've"],
  ['someonell', "someone'll"],
  ['someones', "someone's"],
  ['somethingd', "something'd"],
  ["somethingd've", "something'd've"],
  ["something'dve", "something'd've"],
  ['somethingll', "something'll"],
  ['thats', "that's"],
  ['thered', "there'd"],
  ["thered've", "there'd've"],
  ["there'dve", "there'd've"],
  ['therere', "there're"],
  ['theres', "there's"],
  ['theyd', "they'd"],
  ["theyd've", "they'd've"],
  ["they'dve", "they'd've"],
  ['theyll', "they'll"],
  ['theyre', "they're"],
  ['theyve', "they've"],
  ['twas', "'twas"],
  ['wasnt', "wasn't"],
  ["wed've", "we'd've"],
  ["we'dve", "we'd've"],
  ['weve', "we've"],
  ['werent', "weren't"],
  ['whatll', "what'll"],
  ['whatre', "what're"],
  ['whats', "what's"],
  ['whatve', "what've"],
  ['whens', "when's"],
  ['whered', "where'd"],
  ['wheres', "where's"],
  ['whereve', "where've"],
  ['whod', "who'd"],
  ["whod've", "who'd've"],
  ["who'dve", "who'd've"],
  ['wholl', "who'll"],
  ['whos', "who's"],
  ['whove', "who've"],
  ['whyll', "why'll"],
  ['whyre', "why're"],
  ['whys', "why's"],
  ['wont', "won't"],
  ['wouldve', "would've"],
  ['wouldnt', "wouldn't"],
  ["wouldnt've", "wouldn't've"],
  ["wouldn'tve", "wouldn't've"],
  ['yall', "y'all"],
  ["yall'll", "y'all'll"],
  ["y'allll", "y'all'll"],
  ["yall'd've", "y'all'd've"],
  ["y'alld've", "y'all'd've"],
  ["y'all'dve", "y'all'd've"],
  ['youd', "you'd"],
  ["youd've", "you'd've"],
  ["you'dve", "you'd've"],
  ['youll', "you'll"],
  ['youre', "you're"],
  ['youve', "you've"],
]);

// `commaStrip` = (\d)(\,)(\d): only searched for, never substituted.
const COMMA_BETWEEN_DIGITS = new RegExp(`(${PY_D})(,)(${PY_D})`, 'u');
// `periodStrip` = (?!<=\d)(\.)(?!\d). Its first group is a lookahead for the
// literal "<=" and a digit, never true in front of a ".", so a period is
// dropped unless a digit follows it.
const PERIOD_STRIP = new RegExp(`(?!<=${PY_D})(\\.)(?!${PY_D})`, 'gu');
// `periodStrip.sub("", outText, re.UNICODE)`: the third positional argument of
// `sub` is `count`, so re.UNICODE (32) caps the periods removed at 32.
const PERIOD_STRIP_COUNT = 32;

/** The clean-up every answer and prediction gets: newline and tab to a space, then Python's `strip()`. */
export function vqaCleanWhitespace(text: string): string {
  return pyStrip(text.replaceAll('\n', ' ').replaceAll('\t', ' '));
}

/**
 * The official `processPunctuation`. Each mark of {@link VQA_PUNCT} is deleted
 * when the original text has it next to a space, or when the text has a comma
 * between two digits anywhere; otherwise it becomes a space. Then periods not
 * followed by a digit go (the first 32 of them).
 */
export function vqaProcessPunctuation(inText: string): string {
  const commaDigits = COMMA_BETWEEN_DIGITS.test(inText);
  let out = inText;
  for (const p of VQA_PUNCT) {
    const remove = inText.includes(`${p} `) || inText.includes(` ${p}`) || commaDigits;
    out = out.replaceAll(p, remove ? '' : ' ');
  }
  let removed = 0;
  return out.replace(PERIOD_STRIP, (m) => (removed++ < PERIOD_STRIP_COUNT ? '' : m));
}

/**
 * The official `processDigitArticle`: lowercase, split on whitespace, number
 * words to digits, articles dropped, missing apostrophes restored by
 * {@link VQA_CONTRACTIONS}, words joined by one space.
 */
export function vqaProcessDigitArticle(inText: string): string {
  const words: string[] = [];
  for (const w of pySplit(inText.toLowerCase())) {
    const word = VQA_MANUAL_MAP.get(w) ?? w;
    if (!VQA_ARTICLES.has(word)) words.push(word);
  }
  return words.map((w) => VQA_CONTRACTIONS.get(w) ?? w).join(' ');
}

/** The full normalization the official evaluation applies when a question's human answers differ. */
export function vqaNormalizeAnswer(text: string): string {
  return vqaProcessDigitArticle(vqaProcessPunctuation(vqaCleanWhitespace(text)));
}
