/**
 * FastChat's `IDENTITY_WORDS`, from lm-sys/FastChat
 * `fastchat/serve/monitor/clean_battle_data.py` at commit
 * 01e89b4e6b640d80dfba679e03ae1167e7330b16, in upstream's order and
 * spelling ("TÃ¼lu" is upstream's mis-encoded "Tülu", kept as is; the plain
 * "Tulu" beside it catches the word). Upstream lower-cases the list once.
 * Error banners are in it on purpose: a battle whose side showed one is no
 * fair comparison either.
 */
export const FASTCHAT_IDENTITY_WORDS: readonly string[] = Object.freeze([
  'vicuna',
  'lmsys',
  'koala',
  'uc berkeley',
  'open assistant',
  'laion',
  'chatglm',
  'chatgpt',
  'gpt-4',
  'openai',
  'anthropic',
  'claude',
  'bard',
  'palm',
  'lamda',
  'google',
  'llama',
  'qianwan',
  'alibaba',
  'mistral',
  'zhipu',
  'KEG lab',
  '01.AI',
  'AI2',
  'TÃ¼lu',
  'Tulu',
  'NETWORK ERROR DUE TO HIGH TRAFFIC. PLEASE REGENERATE OR REFRESH THIS PAGE.',
  '$MODERATION$ YOUR INPUT VIOLATES OUR CONTENT MODERATION GUIDELINES.',
  'API REQUEST ERROR. Please increase the number of max tokens.',
  '**API REQUEST ERROR** Reason: The response was blocked.',
  '**API REQUEST ERROR**',
]);

/**
 * The first identity word found in a battle's texts (lower-cased), or undefined. As
 * upstream's `clean_battle_data`: every message of the battle from the first
 * user turn on (the prompt and both answers) is lower-cased and joined, and a
 * word matches as a plain substring (`word in messages`), not on word
 * boundaries, so "palm" also matches "napalm". That is upstream's rule and
 * the ratings are meant to agree with its published numbers.
 */
export function findIdentityWord(texts: readonly (string | null | undefined)[], words: readonly string[] = FASTCHAT_IDENTITY_WORDS): string | undefined {
  const messages = texts
    .filter((t): t is string => typeof t === 'string' && t !== '')
    .map((t) => t.toLowerCase())
    .join('');
  // Upstream lower-cases its list once; the word found is reported as compared.
  return words.map((w) => w.toLowerCase()).find((w) => messages.includes(w));
}
