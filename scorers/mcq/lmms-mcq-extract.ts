// lmms-eval `lmms_eval/tasks/_task_utils/mcq_extract.py` (`extract_mcq_answer`):
// scoped containers, last explicit declaration, then conservative implicit
// labels; ambiguous evidence abstains with "". Ported rule by rule; Python
// regex classes (\w, \s, \b) keep their Unicode meaning via pyRegex.
import { once, PY_WS_CLASS, pyRegex, pyStrip } from '../normalizers/python-text.js';

const DEFAULT_CHOICES = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];

const anchored = (re: RegExp): RegExp => new RegExp(`^(?:${re.source})`, re.flags.replace('g', ''));

// Compiled on first use (see `once`): importing the extractors costs nothing at CLI startup.
const rx = once(() => {
  const CONTAINER_START = pyRegex('<answer\\b[^<>]*>|(?<![\\w</])answer>|\\\\boxed\\s*\\{', 'gi');
  const ANSWER_OPEN = pyRegex('<answer\\b', 'gi');
  const ANSWER_MARKUP = pyRegex('<answer\\b[^<>]*>|(?<![\\w</])answer>|</answer\\s*>', 'gi');
  const ANSWER_CLOSE = pyRegex('</answer\\s*>', 'gi');
  const DECLARATION = pyRegex(
    '(?<prefix>' +
      '(?<!\\w)(?:(?:the|my)\\s+)?(?:(?:correct|best|final)\\s+)?(?:answer|option|choice)\\s*(?:is\\b|[:：=])' +
      '|(?<!\\w)i\\s+(?:choose|select|pick)\\b' +
      '|答案是|答案为|选|옵션|정답은|답은|답\\s*[:：]|答えは' +
      ')' +
      '|(?<postfix>(?<!\\w)option\\s+(?<option>[a-z])(?!\\w)\\s+is\\s+(?:the\\s+)?(?:correct|right|best)\\b)',
    'gi',
  );
  const OPTION_PREFIX = anchored(pyRegex('(?:option|choice)\\b\\s*[:：]?\\s*', 'i'));
  const LATEX_WRAPPER = anchored(pyRegex('\\\\(?:text|mathrm|mathbf|textbf)\\s*\\{'));
  const PAREN_CHOICE = pyRegex('(?<!\\w)(?:\\(\\s*([A-Za-z])\\s*\\)|（\\s*([A-Za-z])\\s*）)(?!\\w)', 'g');
  const OPTION_LABEL = pyRegex('(?<!\\w)([A-Za-z])[.):](?=\\s|$)', 'g');
  const ASSERTION = anchored(pyRegex('(?:because\\b|(?:is|seems|looks|appears)\\s+(?:(?:the|a)\\s+)?(?:correct|right|best|answer|option|choice)\\b)', 'i'));
  const ALTERNATIVE = anchored(pyRegex('(?:and\\s*/\\s*or\\b|and\\b|or\\b|[/&,+|]|或(?:者)?|和|또는|か|と)\\s*', 'i'));
  const IMPLICIT_ALTERNATIVES = pyRegex('(?<!\\w)[A-Z]\\s*(?:[,/&+|]|and\\b|or\\b)\\s*[A-Z](?!\\w)', 'g');
  const URL = pyRegex('(?<!\\w)(?:[a-z][a-z0-9+.-]*://|www\\.)\\S*', 'gi');
  const TRAILING_SEGMENT = pyRegex('(?:^|[\\n,;，；])\\s*([^\\n,;，；]+)\\s*$', 'd');
  const TAG_LIKE = pyRegex('</?\\w');
  return {
    CONTAINER_START,
    ANSWER_OPEN,
    ANSWER_MARKUP,
    ANSWER_CLOSE,
    DECLARATION,
    OPTION_PREFIX,
    LATEX_WRAPPER,
    PAREN_CHOICE,
    OPTION_LABEL,
    ASSERTION,
    ALTERNATIVE,
    IMPLICIT_ALTERNATIVES,
    URL,
    TRAILING_SEGMENT,
    TAG_LIKE,
  };
});

const WRAPPERS: readonly (readonly [string, string])[] = [
  ['**', '**'],
  ['__', '__'],
  ['`', '`'],
  ['*', '*'],
  ['_', '_'],
  ['"', '"'],
  ["'", "'"],
  ['“', '”'],
  ['‘', '’'],
  ['(', ')'],
  ['（', '）'],
  ['[', ']'],
  ['{', '}'],
  ['$', '$'],
];
const PUNCTUATION = ' \t\r\n.!?,;:。！？，；：';
const WORD_CHAR = /^[\p{L}\p{N}_\p{M}\p{Cf}]$/u;
// Python str.splitlines() boundaries (control characters intended)
// eslint-disable-next-line no-control-regex -- these control characters are line breaks to Python
const LINE_BREAK = new RegExp('\\r\\n|[\\n\\r\\x0b\\x0c\\x1c-\\x1e\\x85\\u2028\\u2029]', 'u');
const LEADING_WS = new RegExp(`^[${PY_WS_CLASS}]+`, 'u');

interface Choice {
  readonly letter: string;
  readonly tail: string;
  readonly wrapped: boolean;
  readonly uppercase: boolean;
}

const lstripWs = (s: string): string => s.replace(LEADING_WS, '');
function lstripChars(s: string, chars: string): string {
  let i = 0;
  while (i < s.length && chars.includes(s.charAt(i))) i++;
  return s.slice(i);
}
function stripChars(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s.charAt(a))) a++;
  while (b > a && chars.includes(s.charAt(b - 1))) b--;
  return s.slice(a, b);
}
const isWordChar = (c: string | undefined): boolean => c !== undefined && WORD_CHAR.test(c);
// Python indexes str by code point; these read whole code points where JS would
// hand back half of a surrogate pair (letters like 𝐱 and tags like U+E0001).
/** The code point starting at UTF-16 index `i`. */
const codePointAt = (s: string, i: number): string | undefined => {
  const cp = s.codePointAt(i);
  return cp === undefined ? undefined : String.fromCodePoint(cp);
};
/** The code point ending just before UTF-16 index `i`. */
const codePointBefore = (s: string, i: number): string | undefined => {
  if (i <= 0) return undefined;
  const isLow = (u: number): boolean => u >= 0xdc00 && u <= 0xdfff;
  const isHigh = (u: number): boolean => u >= 0xd800 && u <= 0xdbff;
  return codePointAt(s, i >= 2 && isLow(s.charCodeAt(i - 1)) && isHigh(s.charCodeAt(i - 2)) ? i - 2 : i - 1);
};
const isAsciiAlpha = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z]$/.test(c);
const isAlnum = (c: string | undefined): boolean => c !== undefined && /^[\p{L}\p{N}]$/u.test(c);

/** Python `str.splitlines()`. */
function splitLines(s: string): string[] {
  if (s.length === 0) return [];
  const parts = s.split(LINE_BREAK);
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function readChoice(fragment: string, grammaticalSuffix = ''): Choice | null {
  let text = lstripWs(lstripChars(lstripWs(fragment), ':：=,，;；'));
  const closers: string[] = [];
  let optionPrefixUsed = false;
  while (text) {
    const wrapper = rx().LATEX_WRAPPER.exec(text);
    if (wrapper) {
      closers.push('}');
      text = lstripWs(text.slice(wrapper[0].length));
      continue;
    }
    const prefix = optionPrefixUsed ? null : rx().OPTION_PREFIX.exec(text);
    if (prefix) {
      optionPrefixUsed = true;
      text = lstripWs(text.slice(prefix[0].length));
      continue;
    }
    const pair = WRAPPERS.find(([open]) => text.startsWith(open));
    if (!pair) break;
    closers.push(pair[1]);
    text = lstripWs(text.slice(pair[0].length));
  }
  // charAt gives '' for an empty text, which is no letter.
  const letter = text.charAt(0);
  if (!isAsciiAlpha(letter)) return null;
  let tail = text.slice(1);
  if (grammaticalSuffix && tail.startsWith(grammaticalSuffix)) tail = tail.slice(grammaticalSuffix.length);
  const innermost = closers.at(-1);
  if (tail && isWordChar(codePointAt(tail, 0)) && !(innermost !== undefined && tail.startsWith(innermost))) return null;
  let punctuation = '';
  // Closers close innermost first.
  for (const closer of [...closers].reverse()) {
    tail = lstripWs(tail);
    const inner = '.:：!?。！？' + (closer !== ')' ? ')' : '');
    const rest = lstripChars(tail, inner);
    const end = tail.length - rest.length;
    punctuation += tail.slice(0, end);
    tail = lstripWs(tail.slice(end));
    if (!tail.startsWith(closer)) return null;
    tail = tail.slice(closer.length);
  }
  tail = punctuation + tail;
  if (tail && isWordChar(codePointAt(tail, 0))) return null;
  if (tail && ".:-/'’".includes(tail.charAt(0)) && tail.length > 1 && (isAlnum(codePointAt(tail, 1)) || '/_'.includes(tail.charAt(1)))) {
    // "B.com", "C:/path", "A-list" and "B's" are not labels
    if (tail[0] !== '/') return null;
  }
  return { letter: letter.toUpperCase(), tail, wrapped: closers.length > 0, uppercase: letter !== letter.toLowerCase() && letter === letter.toUpperCase() };
}

function hasAlternative(choice: Choice): boolean {
  let tail = lstripChars(choice.tail, ' \t');
  const labelPunctuation = ['.', ':', ')', '：'].includes(tail.slice(0, 1));
  if (labelPunctuation) tail = lstripChars(tail.slice(1), ' \t');
  const connector = rx().ALTERNATIVE.exec(tail);
  if (connector) return tail.startsWith('/') || readChoice(tail.slice(connector[0].length)) !== null;
  if (labelPunctuation || tail.startsWith('\n') || tail.startsWith('\r')) return false;
  const other = readChoice(tail);
  return other !== null && !stripChars(other.tail, PUNCTUATION);
}

function declaredAnswer(text: string, allowed: ReadonlySet<string>): string | null {
  let answer: string | null = null;
  for (const d of text.matchAll(rx().DECLARATION)) {
    const end = d.index + d[0].length;
    const g = d.groups ?? {};
    const fragment = g.postfix ? (g.option ?? '') + text.slice(end) : text.slice(end);
    const marker = g.prefix ?? '';
    const suffix = ['옵션', '정답은', '답은', '답'].some((m) => marker.startsWith(m)) ? '입니다' : marker === '答えは' ? 'です' : '';
    const choice = readChoice(fragment, suffix);
    answer = choice && allowed.has(choice.letter) && !hasAlternative(choice) ? choice.letter : '';
  }
  return answer;
}

function closingBrace(text: string, start: number): number | null {
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return null;
}

function lastContainer(text: string): string | null {
  let tagOpen = false;
  for (const tag of text.matchAll(rx().ANSWER_MARKUP)) {
    if (tag[0].startsWith('</')) {
      if (!tagOpen) return '';
      tagOpen = false;
    } else {
      if (tagOpen) return '';
      tagOpen = true;
    }
  }
  const starts = [...text.matchAll(rx().CONTAINER_START)];
  const rawTags = [...text.matchAll(rx().ANSWER_OPEN)];
  const tagStarts = new Set(starts.filter((o) => o[0].startsWith('<')).map((o) => o.index));
  if (rawTags.some((t) => !tagStarts.has(t.index))) return '';
  const start = starts.at(-1);
  if (start === undefined) return null;
  let boxEnd = -1;
  for (const opening of starts) {
    if (!opening[0].startsWith('\\')) continue;
    if (opening.index < boxEnd) return '';
    const close = closingBrace(text, opening.index + opening[0].length);
    boxEnd = close ?? text.length;
  }
  const startEnd = start.index + start[0].length;
  if (!start[0].startsWith('\\')) {
    rx().ANSWER_CLOSE.lastIndex = startEnd;
    const closing = rx().ANSWER_CLOSE.exec(text);
    rx().ANSWER_CLOSE.lastIndex = 0;
    return text.slice(startEnd, closing ? closing.index : text.length);
  }
  return boxEnd < text.length ? text.slice(startEnd, boxEnd) : '';
}

function implicitAnswer(text: string, allowed: ReadonlySet<string>): string {
  const urls = [...text.matchAll(rx().URL)].map((m) => [m.index, m.index + m[0].length] as const);
  const inUrl = (pos: number): boolean => urls.some(([s, e]) => s <= pos && pos < e);
  const matches: { m: RegExpMatchArray & { index: number }; paren: boolean }[] = [];
  for (const [pattern, paren] of [
    [rx().PAREN_CHOICE, true],
    [rx().OPTION_LABEL, false],
  ] as const) {
    for (const m of text.matchAll(pattern)) {
      const end = m.index + m[0].length;
      if ((m.index === 0 || !isWordChar(codePointBefore(text, m.index))) && (end === text.length || !isWordChar(codePointAt(text, end))) && !inUrl(m.index)) {
        matches.push({ m, paren });
      }
    }
  }
  const letterOf = (m: RegExpMatchArray): string => (m.slice(1).find((g) => g) ?? '').toUpperCase();
  const labels = new Set(matches.map(({ m }) => letterOf(m)));
  for (const line of splitLines(text)) {
    const c = readChoice(line);
    if (c && c.uppercase && !stripChars(c.tail, PUNCTUATION)) labels.add(c.letter);
  }
  const candidates = new Set<string>();
  for (const { m, paren } of matches) {
    if (!paren) continue;
    const c = readChoice(text.slice(m.index));
    if (c && hasAlternative(c)) return '';
    candidates.add(letterOf(m));
  }
  const leading = readChoice(text);
  if (leading && hasAlternative(leading)) return '';
  if (leading) {
    const tail = lstripWs(leading.tail);
    if (leading.wrapped || !stripChars(tail, PUNCTUATION) || ['.', ':', ')', '：'].some((p) => tail.startsWith(p)) || rx().ASSERTION.test(tail)) {
      candidates.add(leading.letter);
    }
  }
  if (!(leading && candidates.has(leading.letter)) && [...text.matchAll(rx().IMPLICIT_ALTERNATIVES)].some((m) => !inUrl(m.index))) {
    return '';
  }
  const trailing = rx().TRAILING_SEGMENT.exec(text);
  const segment = trailing?.[1];
  const segmentAt = trailing?.indices?.[1]?.[0];
  if (segment !== undefined && segmentAt !== undefined && !inUrl(segmentAt)) {
    const c = readChoice(segment);
    if (c && c.uppercase && !stripChars(c.tail, PUNCTUATION)) candidates.add(c.letter);
  }
  const union = new Set([...labels, ...candidates]);
  const [only] = candidates;
  if (union.size !== 1 || only === undefined) return '';
  return [...candidates].every((c) => allowed.has(c)) ? only : '';
}

/**
 * lmms-eval `extract_mcq_answer(response, choices)`: an uppercase offered
 * letter, or "" for absent, invalid or ambiguous evidence.
 */
export function extractMcqLmms(response: string | null | undefined, choices?: readonly string[] | null): string {
  if (!response || !pyStrip(response)) return '';
  const source = choices && choices.length > 0 ? choices : DEFAULT_CHOICES;
  const allowed = new Set(source.filter((c) => c.length === 1 && isAsciiAlpha(c)).map((c) => c.toUpperCase()));
  const text = pyStrip(response);
  const scope = lastContainer(text);
  if (scope !== null) {
    if (rx().TAG_LIKE.test(scope)) return '';
    const declared = declaredAnswer(scope, allowed);
    if (declared !== null) return declared;
    const choice = readChoice(scope);
    const standalone = new Set<string>();
    for (const line of splitLines(scope)) {
      const c = readChoice(line);
      if (c && !stripChars(c.tail, PUNCTUATION)) standalone.add(c.letter);
    }
    if (choice && new Set([...standalone, choice.letter]).size > 1) return '';
    return choice && allowed.has(choice.letter) && !hasAlternative(choice) ? choice.letter : '';
  }
  const declared = declaredAnswer(text, allowed);
  return declared !== null ? declared : implicitAnswer(text, allowed);
}
