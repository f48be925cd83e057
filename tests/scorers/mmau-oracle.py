#!/usr/bin/env python3
"""Writes tests/scorers/mmau-oracle.json: MMAU's own `string_match` on hand-made and seeded
random cases, pinned for tests/scorers/mmau-task.test.ts.

Run with the path of MMAU's evaluation.py (Sakshi113/MMAU at
74682927cf7f434cc9ed585b1f8a5e6150381e91):
    python3 tests/scorers/mmau-oracle.py <MMAU checkout>/evaluation.py
Only the `string_match` definition is executed (the module imports tqdm and runs a CLI).
"""
import ast
import json
import random
import re
import sys

src = open(sys.argv[1], encoding="utf-8").read()
fn = next(n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef) and n.name == "string_match")
ns = {"re": re}
exec(compile(ast.Module(body=[fn], type_ignores=[]), "evaluation.py", "exec"), ns)
string_match = ns["string_match"]

HAND = [
    ("Man", "Man", ["Man", "Woman", "Child", "Robot"]),
    ("Man", "The speaker is a man.", ["Man", "Woman", "Child", "Robot"]),
    ("Man", "A woman, not a man", ["Man", "Woman", "Child", "Robot"]),
    ("Man", "A", ["Man", "Woman", "Child", "Robot"]),
    ("Man", "(A) Man", ["Man", "Woman", "Child", "Robot"]),
    ("A child", "A child", ["A child", "A woman", "An adult man", "A robot"]),
    ("A child", "child", ["A child", "A woman", "An adult man", "A robot"]),
    ("An adult man", "an adult MAN!", ["A child", "A woman", "An adult man", "A robot"]),
    ("An adult man", "A man", ["A child", "A woman", "An adult man", "A robot"]),
    ("An adult man", "An adult man, a", ["A child", "A woman", "An adult man", "A robot"]),
    ("Dog barking", "dog-barking", ["Dog barking", "Cat meowing", "Dog growling"]),
    ("Dog barking", "barking dog", ["Dog barking", "Cat meowing", "Dog growling"]),
    ("Dog barking", "The dog is barking, not growling", ["Dog barking", "Cat meowing", "Dog growling"]),
    ("Yes", "yes.", ["Yes", "No"]),
    ("Yes", "", ["Yes", "No"]),
    ("Yes", "!!!", ["Yes", "No"]),
    ("Yes", "Yes and no", ["Yes", "No"]),
    ("Yes", "Yes", ["Yes", "yes!", "No"]),
    ("?", "anything", ["?", "No"]),
    ("?", "no", ["?", "No"]),
    ("3", "3 people", ["1", "2", "3", "4"]),
    ("3", "three", ["1", "2", "3", "4"]),
    ("3", "3 or 4", ["1", "2", "3", "4"]),
    ("Café", "CAFÉ", ["Café", "Bar"]),
    ("ΣΟΦΊΑ", "σοφία", ["ΣΟΦΊΑ", "Bar"]),
    ("İstanbul", "istanbul", ["İstanbul", "Ankara"]),
    ("İstanbul", "İSTANBUL", ["İstanbul", "Ankara"]),
    ("snake_case", "snake case", ["snake_case", "camelCase"]),
    ("snake_case", "SNAKE_CASE", ["snake_case", "camelCase"]),
    ("C major", "C", ["C major", "C minor", "G major"]),
    ("C major", "c major", ["C major", "C minor", "G major"]),
    ("C major", "major in C, not minor", ["C major", "C minor", "G major"]),
    ("钢琴", "是钢琴", ["钢琴", "吉他"]),
    ("钢琴", "钢琴", ["钢琴", "吉他"]),
    ("हिंदी", "हिंदी", ["हिंदी", "अंग्रेज़ी"]),
    ("don't know", "I don't know", ["don't know", "know"]),
    ("Man", "Man", []),
]

WORDS = ("a an the man woman child robot dog cat bird barking meowing singing piano guitar "
         "violin drums c major minor g 1 2 3 10 yes no not speech music sound fast slow "
         "happy sad angry neutral café naïve σοφία ß 钢琴 吉他 snake_case x-ray don't").split()
PUNCT = list(".,!?;:'\"-()[]/") + ["。", "，", " ", "  "]

rng = random.Random(20261204)

def phrase(n):
    out = []
    for _ in range(n):
        w = rng.choice(WORDS)
        if rng.random() < 0.2:
            w = w.upper()
        elif rng.random() < 0.2:
            w = w.capitalize()
        out.append(w)
        out.append(rng.choice(PUNCT) if rng.random() < 0.3 else " ")
    return "".join(out).strip()

RANDOM = []
for _ in range(400):
    choices = [phrase(rng.randint(1, 3)) for _ in range(rng.randint(2, 4))]
    answer = rng.choice(choices)
    r = rng.random()
    if r < 0.3:
        pred = answer
    elif r < 0.5:
        pred = "The answer is " + answer.lower() + rng.choice([".", "!", ""])
    elif r < 0.7:
        pred = answer + " " + phrase(rng.randint(0, 2))
    else:
        pred = phrase(rng.randint(0, 5))
    RANDOM.append((answer, pred, choices))

cases = [{"answer": a, "prediction": p, "choices": c, "match": string_match(a, p, c)} for a, p, c in HAND + RANDOM]
json.dump({"hand": len(HAND), "cases": cases}, open("tests/scorers/mmau-oracle.json", "w", encoding="utf-8"), ensure_ascii=False, indent=0)
print(len(cases), sum(c["match"] for c in cases))
