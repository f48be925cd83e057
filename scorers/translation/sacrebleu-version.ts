// The one sacrebleu release whose BLEU/chrF semantics scorers/translation follows.
// v2.6.0 (commit f591c7e4eb631ff11b740da2100ae6f33af4ae0a, 2026-01-12) has the same
// metrics/bleu.py, metrics/chrf.py, metrics/helpers.py and tokenizers 13a/zh/intl/char/none
// as v2.4.3 (only a new spm tokenizer and a cosmetic edit of compute_bleu differ), so
// scores match both; the signature's `version:` field says 2.6.0.

/** Repository and tag followed, as in a pip pin. */
export const sacrebleuVersion = 'mjpost/sacrebleu@v2.6.0';

/** The commit the tag v2.6.0 points at. */
export const sacrebleuCommit = 'f591c7e4eb631ff11b740da2100ae6f33af4ae0a';

/** The `version:` field of sacrebleu's signature (its `__version__`). */
export const sacrebleuSignatureVersion = '2.6.0';
