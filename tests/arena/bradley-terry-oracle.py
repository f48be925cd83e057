#!/usr/bin/env python3
"""Writes tests/arena/bradley-terry-oracle.json: Bradley-Terry ratings computed by upstream's own
code, re-typed below from the recorded commits, on seeded generated vote sets; pinned for
tests/arena/compute-arena-ratings.test.ts.

    python3 tests/arena/bradley-terry-oracle.py > tests/arena/bradley-terry-oracle.json

Needs numpy, pandas, scipy and scikit-learn (Debian: apt-get install python3-sklearn python3-pandas;
the pinned file was written with sklearn 1.2.1, pandas 1.5.3, numpy 1.24.2, scipy 1.10.1).

Three upstream fits, each run twice: with upstream's own solver settings ("upstream") and with the
same code and a tight solver ("tight": sklearn's newton-cg solver at tol 1e-12, whose conjugate-gradient steps from 0 stay on the plane sum(theta) = 0 as lbfgs does, or scipy's
L-BFGS-B with ftol 0 and gtol 1e-12), the plain logistic-regression optimum that the tests hold
evalgate's Newton fit to within 1e-6 rating points. Upstream's own settings stop early: both lbfgs
runs end on L-BFGS-B's default ftol (relative loss change 2.2e-9), about 1e-3 rating points from
the optimum on these sets, which is the tolerance the tests allow against "upstream".
- fastchat_sklearn: lm-sys/FastChat fastchat/serve/monitor/elo_analysis.py compute_elo_mle_with_tie
  at e208d5677c6837d590b81cb03847c0b9de100765^ (the sklearn LogisticRegression version: wins counted
  twice, a tie once each way, penalty=None, no intercept, design rows +-ln 10, anchor
  mixtral-8x7b-instruct-v0.1 = 1114);
- fastchat_scipy: the same repository's rating_systems.py compute_bt / fit_bt / scale_and_offset at
  0e6d3e4beaab66f4d3f93db72541a4abab8af28d (L-BFGS-B on unique (pair, outcome) rows, tie = 0.5);
- arena_hard: lmarena/arena-hard-auto show_result.py get_battles_from_row (multiplier 3) and
  utils_math.py compute_mle_elo at 0489bf384abd010906014dec7b903f7c438eabba (five-level votes;
  anchor gpt-4-0314 = 1000; the anchor model is not in these sets, so no shift);
- styleControl: FastChat rating_systems.py preprocess_for_style / fit_contextual_bt /
  compute_style_control at 0e6d3e4 (three-level votes with answer styles, L2 reg 0.5), tight run
  with ftol 0 and gtol 1e-12;
and FastChat's markdown counter (add_markdown_info.py at 05b930550cadc3e3ccfb1c0a5f2c6ff0bc0faf97)
on hand-written texts.
"""
import json
import math
import random
import re
from functools import partial

import numpy as np
import pandas as pd
import scipy
import sklearn
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.linear_model import LogisticRegression


# ---- FastChat elo_analysis.py compute_elo_mle_with_tie (e208d5677c^), re-typed; `tol`/`max_iter` added.
def compute_elo_mle_with_tie(df, SCALE=400, BASE=10, INIT_RATING=1000, sample_weight=None, tol=None, max_iter=None, solver=None):
    ptbl_a_win = pd.pivot_table(df[df["winner"] == "model_a"], index="model_a", columns="model_b", aggfunc="size", fill_value=0)
    ptbl_tie = pd.pivot_table(
        df[df["winner"].isin(["tie", "tie (bothbad)"])], index="model_a", columns="model_b", aggfunc="size", fill_value=0
    )
    ptbl_tie = ptbl_tie + ptbl_tie.T
    ptbl_b_win = pd.pivot_table(df[df["winner"] == "model_b"], index="model_a", columns="model_b", aggfunc="size", fill_value=0)
    ptbl_win = ptbl_a_win * 2 + ptbl_b_win.T * 2 + ptbl_tie

    models = pd.Series(np.arange(len(ptbl_win.index)), index=ptbl_win.index)

    p = len(models)
    X = np.zeros([p * (p - 1) * 2, p])
    Y = np.zeros(p * (p - 1) * 2)

    cur_row = 0
    sample_weights = []
    for m_a in ptbl_win.index:
        for m_b in ptbl_win.columns:
            if m_a == m_b:
                continue
            # if nan skip
            if math.isnan(ptbl_win.loc[m_a, m_b]) or math.isnan(ptbl_win.loc[m_b, m_a]):
                continue
            X[cur_row, models[m_a]] = +math.log(BASE)
            X[cur_row, models[m_b]] = -math.log(BASE)
            Y[cur_row] = 1.0
            sample_weights.append(ptbl_win.loc[m_a, m_b])

            X[cur_row + 1, models[m_a]] = math.log(BASE)
            X[cur_row + 1, models[m_b]] = -math.log(BASE)
            Y[cur_row + 1] = 0.0
            sample_weights.append(ptbl_win.loc[m_b, m_a])
            cur_row += 2
    X = X[:cur_row]
    Y = Y[:cur_row]

    kwargs = {}
    if tol is not None:
        kwargs["tol"] = tol
    if max_iter is not None:
        kwargs["max_iter"] = max_iter
    if solver is not None:
        kwargs["solver"] = solver
    lr = LogisticRegression(fit_intercept=False, penalty=None, **kwargs)
    lr.fit(X, Y, sample_weight=sample_weights)
    elo_scores = SCALE * lr.coef_[0] + INIT_RATING
    if "mixtral-8x7b-instruct-v0.1" in models.index:
        elo_scores += 1114 - elo_scores[models["mixtral-8x7b-instruct-v0.1"]]
    return pd.Series(elo_scores, index=models.index).sort_values(ascending=False)


# ---- FastChat rating_systems.py (0e6d3e4) get_matchups_models, preprocess_for_bt, bt_loss_and_grad, fit_bt,
# scale_and_offset, compute_bt, re-typed; fit_bt's `maxiter` made a parameter.
def get_matchups_models(df):
    n_rows = len(df)
    model_indices, models = pd.factorize(pd.concat([df["model_a"], df["model_b"]]))
    matchups = np.column_stack([model_indices[:n_rows], model_indices[n_rows:]])
    return matchups, models.to_list()


def preprocess_for_bt(df):
    n_rows = len(df)
    schedule = np.full((n_rows, 3), fill_value=1, dtype=np.int32)
    schedule[:, [0, 1]], models = get_matchups_models(df)
    schedule[df["winner"] == "model_a", 2] = 2
    schedule[df["winner"] == "model_b", 2] = 0
    matchups_outcomes, weights = np.unique(schedule, return_counts=True, axis=0)
    matchups = matchups_outcomes[:, [0, 1]]
    outcomes = matchups_outcomes[:, 2].astype(np.float64) / 2.0
    weights = weights.astype(np.float64)
    return matchups, outcomes, models, weights


def bt_loss_and_grad(ratings, matchups, outcomes, weights, alpha=1.0):
    matchup_ratings = ratings[matchups]
    logits = alpha * (matchup_ratings[:, 0] - matchup_ratings[:, 1])
    probs = expit(logits)
    loss = -((np.log(probs) * outcomes + np.log(1.0 - probs) * (1.0 - outcomes)) * weights).sum()
    matchups_grads = -alpha * (outcomes - probs) * weights
    model_grad = np.zeros_like(ratings)
    np.add.at(model_grad, matchups[:, [0, 1]], matchups_grads[:, None] * np.array([1.0, -1.0], dtype=np.float64))
    return loss, model_grad


def fit_bt(matchups, outcomes, weights, n_models, alpha, tol=1e-6, maxiter=100, ftol=None):
    initial_ratings = np.zeros(n_models, dtype=np.float64)
    result = minimize(
        fun=bt_loss_and_grad,
        x0=initial_ratings,
        args=(matchups, outcomes, weights, alpha),
        jac=True,
        method="L-BFGS-B",
        options={"disp": False, "maxiter": maxiter, "gtol": tol, **({} if ftol is None else {"ftol": ftol})},
    )
    return result["x"]


def scale_and_offset(ratings, models, scale=400, init_rating=1000, baseline_model="mixtral-8x7b-instruct-v0.1", baseline_rating=1114):
    scaled_ratings = (ratings * scale) + init_rating
    if baseline_model in models:
        baseline_idx = models.index(baseline_model)
        scaled_ratings += baseline_rating - scaled_ratings[..., [baseline_idx]]
    return scaled_ratings


def compute_bt(df, base=10.0, scale=400.0, init_rating=1000, tol=1e-6, maxiter=100, ftol=None):
    matchups, outcomes, models, weights = preprocess_for_bt(df)
    ratings = fit_bt(matchups, outcomes, weights, len(models), math.log(base), tol, maxiter, ftol)
    scaled_ratings = scale_and_offset(ratings, models, scale, init_rating=init_rating)
    return pd.Series(scaled_ratings, index=models).sort_values(ascending=False)


# ---- FastChat rating_systems.py (0e6d3e4) style control: preprocess_for_elo, preprocess_for_style,
# contextual_bt_loss_and_grad, fit_contextual_bt, compute_style_control, re-typed; fit_contextual_bt's
# `maxiter`/`ftol` made parameters.
STYLE_CONTROL_ELEMENTS_V1 = [
    "sum_assistant_a_tokens",
    "header_count_a",
    "list_count_a",
    "bold_count_a",
    "sum_assistant_b_tokens",
    "header_count_b",
    "list_count_b",
    "bold_count_b",
]


def preprocess_for_elo(df):
    matchups, models = get_matchups_models(df)
    outcomes = np.full(len(df), 0.5)
    outcomes[df["winner"] == "model_a"] = 1.0
    outcomes[df["winner"] == "model_b"] = 0.0
    return matchups, outcomes, models


def preprocess_for_style(df, apply_ratio=[1, 1, 1, 1], style_elements=STYLE_CONTROL_ELEMENTS_V1, add_one=True):
    matchups, outcomes, models = preprocess_for_elo(df)
    n = matchups.shape[0]
    k = int(len(style_elements) / 2)

    def extract_style_feature(x, feature):
        val = x[feature]
        if isinstance(val, int):
            return val
        else:
            return sum(val.values())

    style_vector = np.zeros(shape=(2 * k, n), dtype=np.int32)
    for idx, element in enumerate(style_elements):
        style_vector[idx, :] = df.conv_metadata.map(partial(extract_style_feature, feature=element)).values
    style_vector = np.ascontiguousarray(style_vector)

    style_diff = (style_vector[:k] - style_vector[k:]).astype(float)
    style_sum = (style_vector[:k] + style_vector[k:]).astype(float)

    if add_one:
        style_sum = style_sum + np.ones(style_diff.shape)

    apply_ratio = np.flatnonzero(apply_ratio)
    style_diff[apply_ratio] /= style_sum[apply_ratio]

    style_mean = np.mean(style_diff, axis=1)
    style_std = np.std(style_diff, axis=1)
    features = ((style_diff - style_mean[:, np.newaxis]) / style_std[:, np.newaxis]).T

    return matchups, features, outcomes, models


DIFF_MASK = np.array([1.0, -1.0], dtype=np.float64)


def contextual_bt_loss_and_grad(params, n_competitors, matchups, features, outcomes, alpha=1.0, reg=1.0, half_reg=0.5):
    reg_loss = half_reg * np.inner(params, params)
    ratings = params[:n_competitors]
    feature_params = params[n_competitors:]
    matchup_ratings = ratings[matchups]
    bt_logits = alpha * (matchup_ratings[:, 0] - matchup_ratings[:, 1])
    context_logits = np.dot(features, feature_params)
    probs = expit(bt_logits + context_logits)
    loss = -((np.log(probs) * outcomes + np.log(1.0 - probs) * (1.0 - outcomes))).sum() + reg_loss
    error = outcomes - probs
    grad = reg * params
    matchups_grads = -alpha * error
    np.add.at(grad[:n_competitors], matchups[:, [0, 1]], matchups_grads[:, None] * DIFF_MASK)
    grad[n_competitors:] -= np.dot(features.T, error)
    return loss, grad


def fit_contextual_bt(matchups, features, outcomes, models, idxs=None, alpha=math.log(10.0), reg=0.5, tol=1e-6, maxiter=100, ftol=None):
    n_features = features.shape[1]
    n_models = len(models)
    initial_params = np.zeros(n_models + n_features, dtype=np.float64)
    half_reg = reg / 2.0
    if idxs is not None:
        matchups, features, outcomes = matchups[idxs], features[idxs], outcomes[idxs]
    result = minimize(
        fun=contextual_bt_loss_and_grad,
        x0=initial_params,
        args=(n_models, matchups, features, outcomes, alpha, reg, half_reg),
        jac=True,
        method="L-BFGS-B",
        options={"disp": False, "maxiter": maxiter, "gtol": tol, **({} if ftol is None else {"ftol": ftol})},
    )
    return result["x"]


def compute_style_control(df, alpha=math.log(10.0), reg=0.5, init_rating=1000.0, scale=400.0, tol=1e-6, maxiter=100, ftol=None):
    matchups, features, outcomes, models = preprocess_for_style(df)
    ratings_params = fit_contextual_bt(matchups, features, outcomes, models=models, alpha=alpha, reg=reg, tol=tol, maxiter=maxiter, ftol=ftol)
    ratings = ratings_params[: len(models)]
    params = ratings_params[len(models) :]
    scaled_ratings = scale_and_offset(ratings, models, scale, init_rating)
    scaled_ratings = pd.Series(scaled_ratings, index=models).sort_values(ascending=False)
    return scaled_ratings, params


# ---- FastChat add_markdown_info.py (05b9305) count_markdown_elements and remove_pattern, re-typed.
def count_markdown_elements(markdown_text, suffix):
    counters = {
        f"header_count{suffix}": {
            "h1": len(re.findall(r"^#{1}\s", markdown_text, re.MULTILINE)),
            "h2": len(re.findall(r"^#{2}\s", markdown_text, re.MULTILINE)),
            "h3": len(re.findall(r"^#{3}\s", markdown_text, re.MULTILINE)),
            "h4": len(re.findall(r"^#{4}\s", markdown_text, re.MULTILINE)),
            "h5": len(re.findall(r"^#{5}\s", markdown_text, re.MULTILINE)),
            "h6": len(re.findall(r"^#{6}\s", markdown_text, re.MULTILINE)),
        },
        f"list_count{suffix}": {
            "ordered": len(re.findall(r"^\s*\d+\.\s", markdown_text, re.MULTILINE)),
            "unordered": len(re.findall(r"^\s*[-*+]\s", markdown_text, re.MULTILINE)),
        },
        f"bold_count{suffix}": {
            "**": len(re.findall(r"\*\*[^*\n]+\*\*", markdown_text)),
            "__": len(re.findall(r"__[^_\n]+__", markdown_text)),
        },
    }
    return counters


def remove_pattern(answer, pattern):
    blocks = pattern.findall(answer)
    for block in blocks:
        answer = answer.replace(block, "")
    return answer


# ---- arena-hard-auto (0489bf3) show_result.py get_battles_from_row, game 1 only (first_game_only=True),
# without the style metadata; utils_math.py compute_mle_elo with `tol` a parameter (upstream: 1e-8).
def get_battles_from_row(row, multiplier, baseline_model):
    results = []
    output = {"question_id": row["question_id"], "model_a": baseline_model, "model_b": row["model"]}
    game = row["games"][0]
    weight = 1
    if game["score"] == "A=B":
        output["winner"] = "tie"
    elif game["score"] == "A>B":
        output["winner"] = "model_a"
    elif game["score"] == "A>>B":
        output["winner"] = "model_a"
        weight = multiplier
    elif game["score"] == "B>A":
        output["winner"] = "model_b"
    elif game["score"] == "B>>A":
        output["winner"] = "model_b"
        weight = multiplier
    else:
        weight = 0
    if weight:
        results += [output] * weight
    return results


def compute_mle_elo(df, SCALE=400, BASE=10, INIT_RATING=1000, baseline_model="gpt-4-0314", tol=1e-8, max_iter=100, solver="lbfgs"):
    models = pd.concat([df["model_a"], df["model_b"]]).unique()
    models = pd.Series(np.arange(len(models)), index=models)

    # duplicate battles
    df = pd.concat([df, df], ignore_index=True)
    p = len(models.index)
    n = df.shape[0]

    X = np.zeros([n, p])
    X[np.arange(n), models[df["model_a"]]] = +math.log(BASE)
    X[np.arange(n), models[df["model_b"]]] = -math.log(BASE)

    # one A win => two A win
    Y = np.zeros(n)
    Y[df["winner"] == "model_a"] = 1.0

    # one tie => one A win + one B win
    tie_idx = (df["winner"] == "tie") | (df["winner"] == "tie (bothbad)")
    tie_idx[len(tie_idx) // 2 :] = False
    Y[tie_idx] = 1.0

    lr = LogisticRegression(fit_intercept=False, penalty=None, tol=tol, max_iter=max_iter, solver=solver)
    lr.fit(X, Y)

    elo_scores = SCALE * lr.coef_[0] + INIT_RATING

    if baseline_model in models.index:
        elo_scores += 1000 - elo_scores[models[baseline_model]]
    return pd.Series(elo_scores, index=models.index).sort_values(ascending=False)


# ---- generated vote sets
WINNER = {"A>>B": "model_a", "A>B": "model_a", "A=B": "tie", "B>A": "model_b", "B>>A": "model_b"}


def generate(seed, models, strengths, n_votes, five_level):
    """Seeded votes between random pairs; the better model tends to win, strongly when far apart."""
    rng = random.Random(seed)
    votes = []
    for _ in range(n_votes):
        a, b = rng.sample(range(len(models)), 2)
        p_a = 1 / (1 + 10 ** (strengths[b] - strengths[a]))
        u = rng.random()
        if u < 0.15:
            vote = "A=B"
        elif rng.random() < p_a:
            vote = "A>>B" if five_level and rng.random() < 0.35 else "A>B"
        else:
            vote = "B>>A" if five_level and rng.random() < 0.35 else "B>A"
        votes.append([models[a], models[b], vote])  # [modelA, modelB, vote]
    return votes


def as_series(s):
    return {k: float(v) for k, v in s.items()}


def case(name, seed, models, strengths, n_votes, five_level):
    votes = generate(seed, models, strengths, n_votes, five_level)
    out = {"name": name, "seed": seed, "votes": votes}
    if five_level:
        rows = []
        for i, v in enumerate(votes):
            row = {"question_id": i, "model": v[1], "games": [{"score": v[2]}]}
            rows += get_battles_from_row(row, 3, v[0])
        battles = pd.DataFrame(rows)
        out["arenaHard"] = {
            "upstream": as_series(compute_mle_elo(battles)),
            "tight": as_series(compute_mle_elo(battles, tol=1e-12, max_iter=1000, solver="newton-cg")),
            "expandedBattles": len(battles),
        }
    else:
        battles = pd.DataFrame(
            [{"model_a": v[0], "model_b": v[1], "winner": WINNER[v[2]]} for v in votes]
        )
        out["fastchatSklearn"] = {
            "upstream": as_series(compute_elo_mle_with_tie(battles)),
            "tight": as_series(compute_elo_mle_with_tie(battles, tol=1e-12, max_iter=1000, solver="newton-cg")),
        }
        out["fastchatScipy"] = {
            "upstream": as_series(compute_bt(battles)),
            "tight": as_series(compute_bt(battles, tol=1e-12, maxiter=100000, ftol=0.0)),
        }
    return out


def style_case(name, seed, models, strengths, n_votes):
    """Three-level votes with answer styles; longer, more formatted answers win a little more often."""
    rng = random.Random(seed)
    votes = []
    rows = []
    for _ in range(n_votes):
        a, b = rng.sample(range(len(models)), 2)
        sa = [rng.randint(20, 900), rng.randint(0, 6), rng.randint(0, 12), rng.randint(0, 8)]
        sb = [rng.randint(20, 900), rng.randint(0, 6), rng.randint(0, 12), rng.randint(0, 8)]
        nudge = 0.4 * (sa[0] - sb[0]) / (sa[0] + sb[0]) + 0.03 * (sa[3] - sb[3])
        p_a = 1 / (1 + 10 ** (strengths[b] - strengths[a] - nudge))
        if rng.random() < 0.15:
            vote = "A=B"
        elif rng.random() < p_a:
            vote = "A>B"
        else:
            vote = "B>A"
        votes.append([models[a], models[b], vote, sa, sb])
        rows.append(
            {
                "model_a": models[a],
                "model_b": models[b],
                "winner": WINNER[vote],
                "conv_metadata": {
                    "sum_assistant_a_tokens": sa[0],
                    "header_count_a": {"h1": sa[1]},
                    "list_count_a": {"ordered": sa[2]},
                    "bold_count_a": {"**": sa[3]},
                    "sum_assistant_b_tokens": sb[0],
                    "header_count_b": {"h1": sb[1]},
                    "list_count_b": {"ordered": sb[2]},
                    "bold_count_b": {"**": sb[3]},
                },
            }
        )
    battles = pd.DataFrame(rows)
    up_r, up_p = compute_style_control(battles)
    tight_r, tight_p = compute_style_control(battles, tol=1e-12, maxiter=100000, ftol=0.0)
    return {
        "name": name,
        "seed": seed,
        "votes": votes,
        "styleControl": {
            "upstream": {"ratings": as_series(up_r), "coefficients": [float(x) for x in up_p]},
            "tight": {"ratings": as_series(tight_r), "coefficients": [float(x) for x in tight_p]},
        },
    }


MARKDOWN_TEXTS = [
    "# Title\n## Sub\nText with **bold** and __also bold__.\n- one\n- two\n* three\n+ four\n1. first\n2. second",
    "No markdown at all, just a sentence. 3.5 is a number, not a list.",
    "####### seven hashes is not a header\n###### six is\n#nospace\n   - indented item\n\t10. tabbed ordered",
    "```python\n# not a header\n- not a list\n```\nAfter the block: **b**\n# Header after code",
    "```\nrepeated\n```\nrepeated\n**x** **y** ** z ** ****\n__a__b__c__",
    "**bold across\nlines** is not bold; **this is**\n#\theader with tab\n1.no space\n  12. yes",
    "\u0661. Arabic-Indic one\n\u00a0- no-break space item\n#\u00a0header with nbsp",
]


def markdown_cases():
    pattern = re.compile("```([^`]*)```")
    out = []
    for text in MARKDOWN_TEXTS:
        c = count_markdown_elements(remove_pattern(text, pattern), suffix="_a")
        out.append(
            {
                "text": text,
                "headers": sum(c["header_count_a"].values()),
                "lists": sum(c["list_count_a"].values()),
                "bold": sum(c["bold_count_a"].values()),
            }
        )
    return out


MODELS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]
STRENGTHS = [0.9, 0.6, 0.45, 0.3, 0.0, -0.2, -0.5]
cases = [
    case("three-level, 7 models", 11, MODELS, STRENGTHS, 1500, False),
    case(
        "three-level, FastChat's anchor model",
        12,
        ["mixtral-8x7b-instruct-v0.1"] + MODELS[:4],
        [0.2, 0.9, 0.6, 0.1, -0.4],
        900,
        False,
    ),
    case("five-level, 6 models", 13, MODELS[:6], STRENGTHS[:6], 1200, True),
    case("five-level, 4 close models", 14, MODELS[:4], [0.05, 0.0, 0.0, -0.05], 400, True),
    style_case("style control, three-level, 5 models", 15, MODELS[:5], [0.5, 0.3, 0.1, 0.0, -0.3], 1200),
]
print(
    json.dumps(
        {
            "source": {
                "fastchatSklearn": "lm-sys/FastChat@e208d5677c6837d590b81cb03847c0b9de100765^ fastchat/serve/monitor/elo_analysis.py compute_elo_mle_with_tie",
                "fastchatScipy": "lm-sys/FastChat@0e6d3e4beaab66f4d3f93db72541a4abab8af28d fastchat/serve/monitor/rating_systems.py compute_bt",
                "arenaHard": "lmarena/arena-hard-auto@0489bf384abd010906014dec7b903f7c438eabba show_result.py get_battles_from_row + utils_math.py compute_mle_elo",
                "styleControl": "lm-sys/FastChat@0e6d3e4beaab66f4d3f93db72541a4abab8af28d fastchat/serve/monitor/rating_systems.py compute_style_control",
                "markdown": "lm-sys/FastChat@05b930550cadc3e3ccfb1c0a5f2c6ff0bc0faf97 fastchat/serve/monitor/add_markdown_info.py count_markdown_elements + remove_pattern",
            },
            "versions": {
                "numpy": np.__version__,
                "pandas": pd.__version__,
                "scipy": scipy.__version__,
                "sklearn": sklearn.__version__,
            },
            "cases": cases,
            "markdown": markdown_cases(),
        },
        separators=(",", ":"),
    )
)
