// Every case of openai/whisper tests/test_normalizer.py, plus WeNet and Open ASR checks.
import { describe, expect, it } from 'vitest';
import { basicTextNormalize } from '../../scorers/normalizers/basic-text-normalizer.js';
import { normalizeEnglishNumbers } from '../../scorers/normalizers/english-number-normalizer.js';
import { openAsrSpelling, whisperSpelling } from '../../scorers/normalizers/english-spelling.js';
import { openAsrEnglishNormalize, whisperEnglishNormalize } from '../../scorers/normalizers/english-text-normalizer.js';
import { getNormalizer, NORMALIZER_NAMES } from '../../scorers/normalizers/normalizer-registry.js';
import { wenetTokenize } from '../../scorers/normalizers/wenet-tokenize.js';

const NUMBER_CASES: readonly (readonly [string, string])[] = [
  ['two', '2'],
  ['thirty one', '31'],
  ['five twenty four', '524'],
  ['nineteen ninety nine', '1999'],
  ['twenty nineteen', '2019'],
  ['two point five million', '2500000'],
  ['four point two billions', '4200000000s'],
  ['200 thousand', '200000'],
  ['200 thousand dollars', '$200000'],
  ['$20 million', '$20000000'],
  ['€52.4 million', '€52400000'],
  ['£77 thousands', '£77000s'],
  ['two double o eight', '2008'],
  ['three thousand twenty nine', '3029'],
  ['forty three thousand two hundred sixty', '43260'],
  ['forty three thousand two hundred and sixty', '43260'],
  ['nineteen fifties', '1950s'],
  ['thirty first', '31st'],
  ['thirty three thousand and three hundred and thirty third', '33333rd'],
  ['three billion', '3000000000'],
  ['millions', '1000000s'],
  ['july third twenty twenty', 'july 3rd 2020'],
  ['august twenty sixth twenty twenty one', 'august 26th 2021'],
  ['3 14', '3 14'],
  ['3.14', '3.14'],
  ['3 point 2', '3.2'],
  ['3 point 14', '3.14'],
  ['fourteen point 4', '14.4'],
  ['two point two five dollars', '$2.25'],
  ['two hundred million dollars', '$200000000'],
  ['$20.1 million', '$20100000'],
  ['ninety percent', '90%'],
  ['seventy six per cent', '76%'],
  ['double oh seven', '007'],
  ['double zero seven', '007'],
  ['nine one one', '911'],
  ['nine double one', '911'],
  ['one triple oh one', '10001'],
  ['two thousandth', '2000th'],
  ['thirty two thousandth', '32000th'],
  ['minus 500', '-500'],
  ['positive twenty thousand', '+20000'],
  ['two dollars and seventy cents', '$2.70'],
  ['3 cents', '¢3'],
  ['$0.36', '¢36'],
  ['three euros and sixty five cents', '€3.65'],
  ['three and a half million', '3500000'],
  ['forty eight and a half dollars', '$48.5'],
  ['b747', 'b 747'],
  ['10 th', '10th'],
  ['10th', '10th'],
];

describe('Whisper EnglishNumberNormalizer / EnglishTextNormalizer (test_number_normalizer)', () => {
  for (const [input, want] of NUMBER_CASES) {
    it(`${input} → ${want}`, () => {
      expect(normalizeEnglishNumbers(input)).toBe(want);
      expect(whisperEnglishNormalize(input)).toBe(want);
    });
  }
  it('handles values beyond 2^53 exactly (decillion)', () => {
    expect(normalizeEnglishNumbers('three decillion')).toBe(`3${'0'.repeat(33)}`);
  });
});

describe('Whisper EnglishSpellingNormalizer (test_spelling_normalizer)', () => {
  it('maps British to American spellings', () => {
    expect(whisperSpelling().get('mobilisation')).toBe('mobilization');
    expect(whisperSpelling().get('cancelation')).toBe('cancellation');
    expect(whisperSpelling().size).toBe(1739);
    expect(whisperEnglishNormalize('mobilisation')).toBe('mobilization');
    expect(whisperEnglishNormalize('cancelation')).toBe('cancellation');
  });
});

describe('Whisper EnglishTextNormalizer (test_text_normalizer)', () => {
  const cases: readonly (readonly [string, string])[] = [
    ["Let's", 'let us'],
    ["he's like", 'he is like'],
    ["she's been like", 'she has been like'],
    ['10km', '10 km'],
    ['10mm', '10 mm'],
    ['RC232', 'rc 232'],
    ['Mr. Park visited Assoc. Prof. Kim Jr.', 'mister park visited associate professor kim junior'],
  ];
  for (const [input, want] of cases) it(`${input} → ${want}`, () => expect(whisperEnglishNormalize(input)).toBe(want));

  it('removes bracketed and parenthesised text and fillers', () => {
    expect(whisperEnglishNormalize('hello [noise] (laughs) um world')).toBe('hello world');
  });
  it('half a million', () => expect(whisperEnglishNormalize('half a million')).toBe('500000'));
});

describe('Whisper BasicTextNormalizer', () => {
  it('lower-cases, drops brackets and replaces symbols/punctuation with spaces', () => {
    expect(basicTextNormalize('Hello, World! [music] (x)')).toBe('hello world ');
    expect(basicTextNormalize('Café déjà-vu')).toBe('café déjà vu');
    expect(basicTextNormalize('Café', { removeDiacritics: true })).toBe('cafe');
  });
});

describe('Open ASR Leaderboard EnglishTextNormalizer', () => {
  it('collapses dotted abbreviations and ellipses, and keeps its own spelling map', () => {
    expect(openAsrEnglishNormalize('The U.S.A. is big...')).toBe('the usa is big');
    expect(openAsrEnglishNormalize('wait... what')).toBe('wait what');
    expect(openAsrEnglishNormalize('ok')).toBe('okay');
    expect(openAsrSpelling().get('cancellation')).toBe('cancelation');
    expect(openAsrEnglishNormalize('half a million')).toBe('half a 1000000');
    expect(openAsrEnglishNormalize('two point five million')).toBe('2500000');
  });
  it('does not re-attach currency symbols separated by spaces (Whisper does)', () => {
    expect(whisperEnglishNormalize('$ 5')).toBe('$5');
    expect(openAsrEnglishNormalize('$ 5')).toBe(' 5');
  });
});

describe('WeNet compute-wer.py --char=1 text handling', () => {
  it('tokenises CJK per character, keeps other runs whole, upper-cases, drops tags', () => {
    expect(wenetTokenize('我爱北京 hello 天安门。')).toEqual(['我', '爱', '北', '京', 'HELLO', '天', '安', '门']);
    expect(wenetTokenize('<unk><noise>你好')).toEqual(['你', '好']);
    // the punctuation list is only skipped where a token starts: an ASCII run keeps its trailing ","
    expect(wenetTokenize('ok,很好!')).toEqual(['OK,', '很', '好']);
    expect(wenetTokenize(',ok 很')).toEqual(['OK', '很']);
  });
});

describe('registry', () => {
  it('exposes every named normalizer', () => {
    for (const n of NORMALIZER_NAMES) expect(typeof getNormalizer(n).normalize('x')).toBe('string');
    expect(() => getNormalizer('nope')).toThrow(/unknown normalizer "nope"/);
    expect(getNormalizer('wenet-zh').normalize('我爱 abc')).toBe('我 爱 ABC');
  });
});
