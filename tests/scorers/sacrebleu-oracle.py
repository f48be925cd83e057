#!/usr/bin/env python3
"""Writes tests/scorers/sacrebleu-oracle.json: sacrebleu's own outputs on seeded random
sentences, pinned for tests/scorers/sacrebleu-*.test.ts.

Run from a checkout of mjpost/sacrebleu at v2.6.0 (f591c7e4eb631ff11b740da2100ae6f33af4ae0a),
no install needed:
    PYTHONPATH=<sacrebleu checkout>:<stubs> python3 tests/scorers/sacrebleu-oracle.py
where the checkout has sacrebleu/version.py (`__version__ = '2.6.0'`, setuptools-scm writes
it on install) and <stubs> holds empty `portalocker`, `tabulate` and `lxml` packages (only
the dataset/CLI code imports them). `regex` (for the intl tokenizer) must be installed.
"""
import json
import random
import sys

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
from sacrebleu.tokenizers.tokenizer_char import TokenizerChar
from sacrebleu.tokenizers.tokenizer_intl import TokenizerV14International
from sacrebleu.tokenizers.tokenizer_zh import TokenizerZh

rng = random.Random(20261204)

WORDS = ("the cat sat on mat dog bit man it was not unexpected surprising had just bitten him "
         "Die Beziehung zwischen Obama und ist nicht gerade freundlich producţia zahăr ΣΟΦΊΑ "
         "İstanbul straße 3.5 1,000 2026 -5 e-mail U.S. don't (hi) [x] {y} <b> &amp; &quot; &lt;tag&gt; "
         "<skipped> 中文 我们 今天 天气 很好 。 ， “引号” — … ¥100 €5 $3.50 © ™ → ½ ２０２６ ＡＢＣ "
         "😀 𠀀字 ㄅㄆ ㈱ ☃ ✂ 、 ・ 「括弧」 ١٢٣ ، ؟ 日本語 한국어 Ωmega α-β x+y=z 50% #tag @user").split()
PUNCT = list(".,!?;:'\"-()[]{}/\\|@#$%^&*_~`<>=+") + ["。", "，", "！", "？", "、", "—", "…", "«", "»", "¡", "¿", "•", "§"]
SPACES = [" ", " ", " ", "  ", "\t", "\u3000", "\u00a0", "\u2009", "\u1680", "\u200b", "\x1c", "\x85", "\n"]


def sentence(max_words=14):
    parts = []
    for _ in range(rng.randint(0, max_words)):
        w = rng.choice(WORDS)
        r = rng.random()
        if r < 0.15:
            w = w + rng.choice(PUNCT)
        elif r < 0.22:
            w = rng.choice(PUNCT) + w
        elif r < 0.27:
            w = w.upper()
        parts.append(w)
        parts.append(rng.choice(SPACES))
    s = "".join(parts)
    if rng.random() < 0.3:
        s = rng.choice(SPACES) + s
    if rng.random() < 0.5:
        s = s.rstrip() + rng.choice([".", " .", "!", "", "。", " 2026."])
    return s


def perturb(s):
    words = s.split(" ")
    out = [w for w in words if rng.random() > 0.2]
    if rng.random() < 0.5:
        out.insert(rng.randint(0, len(out)), rng.choice(WORDS))
    if rng.random() < 0.3:
        rng.shuffle(out)
    return " ".join(out)


tokenizer_lines = [sentence() for _ in range(150)]
tokenizers = {
    "13a": Tokenizer13a(),
    "intl": TokenizerV14International(),
    "zh": TokenizerZh(),
    "char": TokenizerChar(),
}
tok_cases = [{"line": line, **{name: t(line) for name, t in tokenizers.items()}} for line in tokenizer_lines]
lower_cases = [{"line": line, "lower": line.lower()} for line in tokenizer_lines]


def corpus(n, nref_choices=(1,)):
    hyps, refs = [], []
    for _ in range(n):
        base = sentence()
        k = rng.choice(nref_choices)
        refs.append([perturb(base) if j else base for j in range(k)])
        hyps.append(perturb(base) if rng.random() < 0.9 else sentence())
    return hyps, refs


def streams(refs):
    # sample-major -> sacrebleu's stream-major, None where a sample has fewer references
    width = max(len(r) for r in refs)
    return [[r[j] if j < len(r) else None for r in refs] for j in range(width)]


bleu_configs = [
    {},
    {"tokenize": "intl"},
    {"tokenize": "zh"},
    {"tokenize": "char"},
    {"tokenize": "none"},
    {"lowercase": True},
    {"smooth_method": "floor"},
    {"smooth_method": "floor", "smooth_value": 0.125},
    {"smooth_method": "add-k"},
    {"smooth_method": "add-k", "smooth_value": 2},
    {"smooth_method": "none"},
    {"effective_order": True},
    {"max_ngram_order": 2},
]
chrf_configs = [
    {},
    {"word_order": 2},
    {"lowercase": True},
    {"word_order": 2, "lowercase": True},
    {"whitespace": True},
    {"eps_smoothing": True},
    {"word_order": 2, "eps_smoothing": True, "beta": 3},
]

KEYS = {"tokenize": "tokenize", "smooth_method": "smoothMethod", "smooth_value": "smoothValue",
        "lowercase": "lowercase", "effective_order": "effectiveOrder", "max_ngram_order": "maxNgramOrder",
        "word_order": "wordOrder", "char_order": "charOrder", "beta": "beta", "whitespace": "whitespace",
        "eps_smoothing": "epsSmoothing"}


def ts_options(cfg):
    return {KEYS[k]: v for k, v in cfg.items()}


corpora = []
for size, nrefs in [(1, (1,)), (3, (1,)), (25, (1,)), (25, (2,)), (25, (1, 2, 3)), (60, (1,))]:
    hyps, refs = corpus(size, nrefs)
    entry = {"hyps": hyps, "refs": refs, "bleu": [], "chrf": []}
    for cfg in bleu_configs:
        m = BLEU(**cfg)
        s = m.corpus_score(hyps, streams(refs))
        entry["bleu"].append({"options": ts_options(cfg), "score": s.score, "counts": list(s.counts),
                              "totals": list(s.totals), "precisions": list(s.precisions), "bp": s.bp,
                              "sysLen": s.sys_len, "refLen": s.ref_len, "signature": str(m.get_signature())})
    for cfg in chrf_configs:
        m = CHRF(**cfg)
        s = m.corpus_score(hyps, streams(refs))
        entry["chrf"].append({"options": ts_options(cfg), "score": s.score, "name": s.name,
                              "signature": str(m.get_signature())})
    corpora.append(entry)

sentence_cases = []
for _ in range(40):
    base = sentence(8)
    refs = [base] + [perturb(base) for _ in range(rng.choice([0, 1, 2]))]
    hyp = perturb(base)
    b = sacrebleu.sentence_bleu(hyp, refs)
    c = sacrebleu.sentence_chrf(hyp, refs)
    cpp = sacrebleu.sentence_chrf(hyp, refs, word_order=2)
    sentence_cases.append({"hyp": hyp, "refs": refs, "bleu": b.score, "chrf": c.score, "chrfpp": cpp.score})

# Samples with over 4,096 distinct tokens and characters: the TypeScript code counts them
# with string keys instead of its direct-address tables (ngram-multiset.ts MAX_TABLE).
big_ref_chars = [chr(0x4E00 + i) for i in range(6000)]
big_hyp_chars = [c for c in big_ref_chars if rng.random() > 0.1]
for i in range(0, len(big_hyp_chars) - 1, 7):
    big_hyp_chars[i], big_hyp_chars[i + 1] = big_hyp_chars[i + 1], big_hyp_chars[i]
large_hyps = [" ".join(big_hyp_chars), "the cat sat on the mat ."]
large_refs = [[" ".join(big_ref_chars), "".join(big_ref_chars)], ["the cat sat on a mat .", "a cat sat on the mat ."]]
large = {"hyps": large_hyps, "refs": large_refs, "bleu": [], "chrf": []}
for cfg in [{}, {"tokenize": "zh"}, {"tokenize": "char"}]:
    s = BLEU(**cfg).corpus_score(large_hyps, streams(large_refs))
    large["bleu"].append({"options": ts_options(cfg), "score": s.score, "counts": list(s.counts), "totals": list(s.totals)})
for cfg in [{}, {"word_order": 2}]:
    large["chrf"].append({"options": ts_options(cfg), "score": CHRF(**cfg).corpus_score(large_hyps, streams(large_refs)).score})

json.dump({
    "sacrebleu": "mjpost/sacrebleu@v2.6.0 (f591c7e4eb631ff11b740da2100ae6f33af4ae0a), run from source",
    "python": sys.version.split()[0],
    "tokenizers": tok_cases,
    "lowercase": lower_cases,
    "corpora": corpora,
    "sentences": sentence_cases,
    "large": large,
}, sys.stdout, ensure_ascii=False, indent=1)
sys.stdout.write("\n")
