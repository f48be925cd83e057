"""Writes prediction files with the harnesses' own writer code, as fixtures for prediction-files-upstream.test.ts.

Run with Debian's python3 (python3-pandas 1.5.3, python3-xlsxwriter 3.0.2) from the repository root:

    /usr/bin/python3 tests/score-input/harness-fixtures.py <VLMEvalKit vlmeval/smp/file.py> \
        <label> <lmms-eval lmms_eval/loggers/evaluation_tracker.py> <lmms-eval lmms_eval/utils.py> [<label> … …]

as tests/score-input/harness-fixtures.sh does from `fetch`ed mirrors. Files in fixtures/ were written from
open-compass/VLMEvalKit@e8e78f05f3080fe28154f2130321f17951c3be94 and three lmms-eval versions:
v0.7+ = EvolvingLMMs-Lab/lmms-eval@75571cfe0fa36ca5ec2e6aa2bb268f9d38295af3 (flattened filtered_resps),
v0.4 = b7b4b1d9163c7e6cbc131cc11eca2695a018a032 (one-element lists, doc dropped),
v0.3 = 754640a70ba2d8030b9321fb8e021eaa8c0aee3e (doc kept).
The upstream functions are lifted out of their files with ast and run as they are (their modules import
GPU and hub packages this machine lacks); nothing of theirs is copied here.
"""
import ast
import csv
import datetime
import json
import logging
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent / 'fixtures'


def lift(path, names, namespace):
    """Defines the named top-level functions/classes (or methods, as Class.method) of a source file in namespace."""
    tree = ast.parse(Path(path).read_text(encoding='utf-8'))
    for name in names:
        cls, _, meth = name.partition('.')
        node = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == cls)
        if meth:
            node = next(n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == meth)
        exec(compile(ast.Module(body=[node], type_ignores=[]), path, 'exec'), namespace)
    return namespace


def vlmevalkit(file_py):
    ns = lift(file_py, ['NumpyEncoder', 'dump'], {
        'json': json, 'pickle': pickle, 'csv': csv, 'pd': pd, 'np': np, 'logger': logging.getLogger('vlmeval'),
    })
    # A dataset table as VLMEvalKit loads it (index, question, options with NaN, answer, a bool column), plus the
    # prediction column inference.py adds: str() of each answer. '' is a model that answered nothing.
    data = pd.DataFrame({
        'index': [0, 1, 2, 3, 1000004],
        'question': ['Tabs\tand "quotes", commas', 'Two\nlines?', 'Plain', 'Unicode', 'Big index'],
        'A': ['yes', 'no', np.nan, '是', 'a'],
        'B': ['no', np.nan, 'x', '否', 'b'],
        'answer': ['A', 'B', 'A', 'A', 'B'],
        'is_circular': [True, False, False, True, False],
        'prediction': [str(x) for x in ['A, because "yes"', 'first line\nsecond line', '', '是的，A', 42]],
    })
    for ext in ['xlsx', 'tsv', 'csv', 'json']:
        ns['dump'](data, str(HERE / f'GPT4o_MMBench_DEV_EN.{ext}'))
    # What each reader must return: index as a string id, an empty cell as null.
    expected = [[str(i), p if p != '' else None] for i, p in zip(data['index'], data['prediction'])]
    (HERE / 'GPT4o_MMBench_DEV_EN.expected.json').write_text(json.dumps(expected, ensure_ascii=False, indent=1) + '\n', encoding='utf-8')


def lmms_eval(label, tracker_py, utils_py):
    utils = lift(utils_py, ['handle_non_serializable', 'sanitize_list'], {'np': np})

    class Logger:
        def info(self, *a):
            pass

        warning = info

    ns = lift(tracker_py, ['EvaluationTracker.save_results_samples'], {
        'Path': Path, 'json': json, 'os': os, 'eval_logger': Logger(), **utils,
    })
    save = ns['save_results_samples']

    class Config:
        model_name_sanitized = 'qwen2_vl'

    class Tracker:
        output_path = str(HERE / 'lmms-eval' / label)
        general_config_tracker = Config()
        date_id = '20260801_120000'
        api = None
        push_samples_to_hub = False

    # Logged samples as evaluator.py builds them: per doc, one entry per request in resps (each a list of
    # repeats) and filtered_resps (the filter's output), then the metrics.
    def sample(doc_id, question_id, question, resp, filtered, target, metrics):
        return {
            'doc_id': doc_id, 'doc': {'question_id': question_id, 'question': question}, 'target': target,
            'arguments': [question, {'max_new_tokens': 16}], 'resps': [[resp]], 'filtered_resps': [filtered],
            'token_counts': [None], 'doc_hash': f'hash{doc_id}', **metrics,
        }

    samples = [
        sample(0, 'q-17', 'What is in the picture?', 'A cat on a mat.', 'A cat on a mat.', ['A cat', 'a cat'], {'anls': 1.0}),
        sample(1, 'q-18', 'Which one?', 'The answer is (B).', 'B', 'B', {'exact_match': 1.0}),
        sample(2, 'q-19', '几个?', '两个，逗号', '两个，逗号', '二', {'anls': float('nan')}),
    ]
    task = 'docvqa_val'
    out = HERE / 'lmms-eval' / label / 'qwen2_vl' / f'20260801_120000_samples_{task}.jsonl'
    if out.exists():
        out.unlink()
    save(Tracker(), task, [dict(s, doc=dict(s['doc'])) for s in samples])
    expected = [[str(s['doc_id']), s['doc']['question_id'], s['filtered_resps'][0]] for s in samples]
    (HERE / 'lmms-eval' / 'expected.json').write_text(json.dumps(expected, ensure_ascii=False, indent=1) + '\n', encoding='utf-8')


if __name__ == '__main__':
    vlmevalkit(sys.argv[1])
    rest = sys.argv[2:]
    for k in range(0, len(rest), 3):
        lmms_eval(*rest[k:k + 3])
