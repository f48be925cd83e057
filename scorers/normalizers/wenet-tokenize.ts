// WeNet `tools/compute-wer.py` text handling with `--char=1` (AISHELL recipe):
// `characterize` then `normalize` (upper-case, tags stripped, default options).

// The script's own punctuation list; other punctuation is kept as tokens.
const PUNCTS = new Set(['!', ',', '?', '、', '。', '！', '，', '；', '？', '：', '「', '」', '︰', '『', '』', '《', '》']);
const SPACELIST = new Set([' ', '\t', '\r', '\n']);
const IS_ZS_OR_CN = /^[\p{Zs}\p{Cn}]$/u;
const IS_LO = /^\p{Lo}$/u;

/** `characterize`: each "letter, other" (CJK…) char is a token; other runs stay whole. */
export function wenetCharacterize(text: string): string[] {
  const chars = Array.from(text);
  const res: string[] = [];
  let i = 0;
  while (i < chars.length) {
    const ch = chars[i]!;
    if (PUNCTS.has(ch)) {
      i++;
      continue;
    }
    if (IS_ZS_OR_CN.test(ch) || SPACELIST.has(ch)) {
      i++;
      continue;
    }
    if (IS_LO.test(ch)) {
      res.push(ch);
      i++;
      continue;
    }
    // "<unk><noise>" must become two tokens, so a run opened by '<' ends at '>'
    const sep = ch === '<' ? '>' : ' ';
    let j = i + 1;
    while (j < chars.length) {
      const c = chars[j]!;
      if (c.codePointAt(0)! >= 128 || SPACELIST.has(c) || c === sep) break;
      j++;
    }
    if (j < chars.length && chars[j] === '>') j++;
    res.push(chars.slice(i, j).join(''));
    i = j;
  }
  return res;
}

/** `stripoff_tags`: drops `<…>` spans inside a token. */
function stripTags(x: string): string {
  let out = '';
  let i = 0;
  while (i < x.length) {
    if (x[i] === '<') {
      while (i < x.length && x[i] !== '>') i++;
      i++;
    } else {
      out += x[i];
      i++;
    }
  }
  return out;
}

/** WeNet `--char=1` tokens: characterize, upper-case, strip tags, drop empties. */
export function wenetTokenize(text: string): string[] {
  const out: string[] = [];
  for (const token of wenetCharacterize(text)) {
    const x = stripTags(token.toUpperCase());
    if (x.length > 0) out.push(x);
  }
  return out;
}
