#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Writes tests/scorers/vqa-oracle.json: the official VQA evaluation (VQAEval) on hand-made
and seeded random cases, pinned for tests/scorers/vqa-accuracy.test.ts.

Run with the path of the official vqaEval.py (GT-Vision-Lab/VQA at
a013f0043c1e2cdc995922dfe257f7149aa9af06, PythonEvaluationTools/vqaEvaluation/vqaEval.py):
    python3 tests/scorers/vqa-oracle.py <VQA checkout>/PythonEvaluationTools/vqaEvaluation/vqaEval.py

The file is Python 2; its only Python-3 syntax error is two `print "..."` statements, which are
rewritten to print(...) calls before it is executed (nothing else is touched). The same script
runs unchanged under Python 2.7 with the original file (pass --py2-check to print the cases whose
results differ between the two; the pinned JSON comes from Python 3, as lmms-eval runs it).

Every question goes through the official `VQAEval.evaluate` itself (fake `vqa`/`vqaRes` objects
carry the answers, one dict per human answer with a distinct `answer_id`, as in the VQA
annotation files); the per-question accuracy is read before `setEvalQA` rounds it.
"""
from __future__ import print_function, unicode_literals

import io
import json
import random
import sys

SRC_PATH = sys.argv[1]
src = io.open(SRC_PATH, "rb").read()  # Python 2 compiles the bytes (the file declares its coding)
if sys.version_info[0] >= 3:
    src = src.decode("utf-8")
if sys.version_info[0] >= 3:
    for stmt in ('print "computing accuracy"', 'print "Done computing accuracy"'):
        assert src.count(stmt) == 1, stmt
        src = src.replace(stmt, "print(%s)" % stmt[len("print ") :])
ns = {"__name__": "vqaEval"}
exec(compile(src, "vqaEval.py", "exec", 0, True), ns)  # dont_inherit: not this file's __future__ flags
VQAEval = ns["VQAEval"]


class FakeVQA(object):
    def __init__(self, qa):
        self.qa = qa

    def getQuesIds(self):
        return list(self.qa.keys())


class RawEval(VQAEval):
    """The official evaluator; keeps each question's accuracy before rounding, and no progress bar."""

    def setEvalQA(self, quesId, acc):
        self.raw = getattr(self, "raw", {})
        self.raw[quesId] = acc
        VQAEval.setEvalQA(self, quesId, acc)

    def updateProgress(self, progress):
        pass


def run_official(cases):
    """cases: [(answers, prediction)] -> ([raw accuracy], [rounded evalQA], overall)."""
    gts, res = {}, {}
    for i, (answers, prediction) in enumerate(cases):
        qid = i + 1
        gts[qid] = {
            "answers": [{"answer": a, "answer_id": j + 1, "answer_confidence": "yes"} for j, a in enumerate(answers)],
            "question_type": "what",
            "answer_type": "other",
        }
        res[qid] = {"answer": prediction}
    ev = RawEval(FakeVQA(gts), FakeVQA(res), n=2)
    stdout = sys.stdout
    sys.stdout = io.StringIO() if sys.version_info[0] >= 3 else io.BytesIO()
    try:
        ev.evaluate(quesIds=[i + 1 for i in range(len(cases))])
    finally:
        sys.stdout = stdout
    ids = [i + 1 for i in range(len(cases))]
    return [ev.raw[q] for q in ids], [ev.evalQA[q] for q in ids], ev.accuracy["overall"]


# The evaluator's helpers, on one instance (manualMap grows by setdefault; harmless, word -> word).
helper = VQAEval(FakeVQA({}), FakeVQA({}))

# Strings for the normalization table: the evaluation page's examples first
# (visualqa.org/evaluation.html: "dont" -> "don't", "girl's", "2:50 pm", "100,978" -> "100978",
# periods except decimals, number words, articles, lowercase), then tricky ones.
NORMALIZE = [
    "dont", "girl's", "2:50 pm", "100,978", "3.5", "yes.", "Yes", "two", "a dog", "the cat", "an apple",
    "1,000", "1,000,000", "1, 2", "1 ,2", "a,b", "a, b", "a ,b", "yes.", "yes!", "yes?", "no!!", "Yes!!!",
    "dont", "doesnt", "cant", "wont", "Im", "im", "Ive", "Id've", "i'dve", "yall'll", "somebody'd", "somebodyd",
    "let's", "ow's'at", "'ows'at", "twas", "oclock", "5 oclock", "its", "it's", "whats", "thats",
    "two dogs", "Two Dogs", "TWO", "none", "None of them", "zero", "ten", "eleven", "twenty one", "one-way",
    "1.5", "1.", ".5", "3.14.15", "end.", "a.b", "a. b", "Mr. Smith", "U.S.A.", "e.g.", "...", ".", "..",
    "1..2", "a" + "." * 40, "x. " * 40, "a-b", "a - b", "t-shirt", "T-Shirt", "black/white", "black / white",
    "black and white", "(yes)", "( yes )", "[1]", "{a}", "a=b", "1+1", "c++", "back\\slash", "snake_case",
    "x > y", "<3", "a@b.com", "`code`", "\"quoted\"", "hello;world", "semi; colon", "10:30", "50%", "$5",
    "5$", "#1", "&", "a & b", "it's 2,000 ft", "2,000 ft-tall", "1,0", "a1,2b", ",", ", ", " ", "",
    "  padded  ", "\ttab\t", "line\nbreak", "multi  space", "a  the  b", "The", "the the", "A", "an",
    "a an the", "The Beatles", "Ａ", "café", "CAFÉ", "İstanbul", "ΣΟΦΟΣ", "東京", "١,٠٠٠", "１,０００",
    "naïve.", "non\u00a0breaking", "zero\u2009width", "right\u2019s", "one two three", "four five six",
    "seven eight nine", "constructor", "__proto__", "toString", "hasOwnProperty", "valueOf",
    "yes , no", "yes ,no", "1 , 000", "Yes, it is.", "No, it isn't!", "I don't know.", "i dont know",
    "there are 2.", "2 .", "2.", "a.5", "5.a", "$1.50", "1,5.", "1,,000", "1,a", "a,1",
]

VOCAB = [
    "yes", "no", "2", "two", "1", "one", "0", "none", "red", "white", "black and white", "dog", "a dog",
    "the dog", "dogs", "tennis", "frisbee", "1,000", "1000", "10:30", "3.5", "don't", "dont", "left",
    "right", "t-shirt", "t shirt", "Yes", "YES", "yes.", "no.", "No", "unanswerable", "unsuitable",
    "baseball", "pizza", "man's", "mans", "blue", "",
]


def variants(a, rng):
    """Spellings a model might give for answer `a`."""
    out = [a, a.upper(), a.capitalize(), a + ".", "the " + a, "a " + a, a + "!", " " + a + " ", a.replace(" ", "-"),
           a + "?", "\"" + a + "\"", "(" + a + ")", a + "\n"]
    return rng.choice(out)


def hand_cases():
    ten = lambda *pairs: [a for a, k in pairs for _ in range(k)]
    cases = [
        # all ten agree: the official code normalizes neither the answers nor the prediction
        (ten(("yes", 10)), "yes"),
        (ten(("yes", 10)), "Yes"),
        (ten(("yes", 10)), "yes."),
        (ten(("yes", 10)), " yes\n"),
        (ten(("2", 10)), "two"),
        (ten(("Yes", 10)), "yes"),
        (ten(("yes.", 10)), "yes"),
        (ten(("yes.", 10)), "yes."),
        # answers that differ only by spacing are equal after the whitespace clean-up
        (["yes", " yes", "yes ", "yes\n", "\tyes"] * 2, "Yes"),
        # answers that differ only by punctuation/case: normalized, so everything matches
        (ten(("yes", 9), ("yes.", 1)), "Yes!"),
        (ten(("yes", 9), ("Yes", 1)), "YES"),
        (ten(("2", 5), ("two", 5)), "Two"),
        (ten(("1,000", 5), ("1000", 5)), "1,000"),
        (ten(("1,000", 5), ("1000", 5)), "one thousand"),
        (ten(("don't", 5), ("dont", 5)), "dont"),
        (ten(("a dog", 4), ("dog", 3), ("the dog", 3)), "dog"),
        (ten(("two dogs", 6), ("2 dogs", 4)), "Two dogs."),
        (ten(("t-shirt", 3), ("t shirt", 3), ("shirt", 4)), "T-Shirt"),
        # the min(#matches / 3, 1) steps
        (ten(("red", 1), ("blue", 9)), "red"),
        (ten(("red", 2), ("blue", 8)), "red"),
        (ten(("red", 3), ("blue", 7)), "red"),
        (ten(("red", 4), ("blue", 6)), "red"),
        (ten(("red", 5), ("blue", 5)), "red"),
        (ten(("red", 1), ("blue", 9)), "green"),
        (ten(("red", 1), ("blue", 2), ("green", 3), ("white", 4)), "white"),
        (ten(("red", 1), ("blue", 2), ("green", 3), ("white", 4)), "green"),
        (ten(("red", 1), ("blue", 2), ("green", 3), ("white", 4)), "blue"),
        # empty and missing-looking predictions
        (ten(("yes", 5), ("no", 5)), ""),
        (ten(("yes", 5), ("no", 5)), "   "),
        (ten(("", 3), ("no", 7)), ""),
        (ten(("", 10)), ""),
        (ten(("", 10)), "."),
        (ten(("unanswerable", 7), ("", 3)), "Unanswerable."),
        # numbers
        (ten(("3.5", 5), ("3", 5)), "3.5"),
        (ten(("3.5", 5), ("35", 5)), "3.5."),
        (ten(("10:30", 6), ("10 30", 4)), "10:30"),
        (ten(("none", 4), ("0", 4), ("zero", 2)), "None"),
        (ten(("eleven", 4), ("11", 6)), "eleven"),
        (ten(("one", 3), ("1", 7)), "One."),
        # articles and contractions inside phrases
        (ten(("the man's hat", 3), ("mans hat", 3), ("hat", 4)), "The man's hat"),
        (ten(("i dont know", 4), ("unknown", 6)), "I don't know."),
        (ten(("black and white", 6), ("black & white", 4)), "black & white"),
        (ten(("black/white", 3), ("black white", 7)), "black / white"),
        # comma between digits anywhere switches every punctuation mark to removal
        (ten(("2,000 ft-tall", 3), ("2000 fttall", 3), ("tall", 4)), "2,000 ft-tall"),
        (ten(("a-b 1,2", 4), ("ab 12", 6)), "a b 1,2"),
        # unicode
        (ten(("café", 5), ("CAFÉ", 5)), "Café"),
        (ten(("東京", 5), ("tokyo", 5)), "東京"),
        (ten(("１,０００", 5), ("1000", 5)), "１,０００"),
        (ten(("١,٠٠٠", 5), ("1000", 5)), "١,٠٠٠"),
        # more than 32 periods: re.sub's 3rd positional argument is `count`, and re.UNICODE (32) lands there
        (ten(("a" + "." * 40, 5), ("a", 5)), "a" + "." * 40),
        (ten(("x. " * 40, 5), ("x " * 40, 5)), "x " * 40),
        # prototype-looking words are plain words
        (ten(("constructor", 5), ("__proto__", 5)), "constructor"),
        (ten(("toString", 5), ("valueOf", 5)), "tostring"),
    ]
    # any number of human answers >= 1 (VizWiz and TextVQA also have 10; the formula takes any count)
    cases += [
        (["yes"], "yes"),
        (["yes"], "no"),
        (["Yes"], "yes"),
        (["yes", "yes"], "yes"),
        (["yes", "Yes"], "yes"),
        (["yes", "no"], "yes"),
        (["yes", "yes", "yes"], "yes"),
        (["yes", "yes", "no"], "yes"),
        (["yes", "yes", "yes", "no"], "yes"),
        (["yes"] * 4, "yes"),
        (["yes"] * 5 + ["no"], "YES"),
        (["yes"] * 20, "yes"),
        (["yes"] * 11 + ["no"] * 9, "yes"),
        (["a"] * 3 + ["b"] * 3 + ["c"] * 4, "c"),
    ]
    for s in NORMALIZE:
        cases.append(([s] * 5 + ["other"] * 5, s))
    return cases


def random_cases(rng, n):
    cases = []
    for _ in range(n):
        k = rng.choice([10, 10, 10, 10, 3, 5, 1, 2, 7])
        pool = rng.sample(VOCAB, rng.choice([1, 2, 3, 4]))
        answers = [variants(rng.choice(pool), rng) if rng.random() < 0.3 else rng.choice(pool) for _ in range(k)]
        base = rng.choice(pool + [rng.choice(VOCAB)])
        cases.append((answers, variants(base, rng)))
    return cases


def main():
    rng = random.Random(20261204)
    hand = hand_cases()
    rand = random_cases(rng, 600)
    cases = hand + rand
    raw, rounded, overall = run_official(cases)
    normalize = []
    for s in NORMALIZE:
        cleaned = s.replace("\n", " ").replace("\t", " ").strip()
        punct = helper.processPunctuation(cleaned)
        normalize.append({"input": s, "punctuation": punct, "normalized": helper.processDigitArticle(punct)})
    fresh = VQAEval(FakeVQA({}), FakeVQA({}))  # its maps as constructed (processDigitArticle grows manualMap)
    out = {
        "maps": {
            "contractions": fresh.contractions,
            "manualMap": fresh.manualMap,
            "articles": fresh.articles,
            "punct": fresh.punct,
        },
        "source": "GT-Vision-Lab/VQA@a013f0043c1e2cdc995922dfe257f7149aa9af06 PythonEvaluationTools/vqaEvaluation/vqaEval.py VQAEval",
        "python": sys.version.split()[0],
        "handCases": len(hand),
        "randomCases": len(rand),
        "overall": overall,
        "normalize": normalize,
        "accuracy": [
            {"answers": a, "prediction": p, "accuracy": acc, "rounded": r} for (a, p), acc, r in zip(cases, raw, rounded)
        ],
    }
    if "--py2-check" in sys.argv:
        json.dump(out, sys.stdout, ensure_ascii=True, sort_keys=True)
        return
    with io.open("tests/scorers/vqa-oracle.json", "w", encoding="utf-8") as f:
        f.write(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    print("wrote %d accuracy cases (%d hand-made, %d random), %d normalization strings" % (len(cases), len(hand), len(rand), len(normalize)))


main()
