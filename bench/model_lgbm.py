#!/usr/bin/env python3
"""The reference points of the model benchmark (bench/model.sh): LightGBM on the same raw
variables, the Bayes AUC, and the AUC and calibration of the extension's scores.

    model_lgbm.py EVENTS_CSV [--scores SCORES_CSV --name NAME] [--no-lgbm] [--test-ids FILE]

EVENTS_CSV is bench/model_data.py's file (its true probabilities are read from the file next to
it, EVENTS with `.csv` replaced by `.p_true.csv`). The events are split by time as the
extension splits them: sorted by EVENT_TIMESTAMP, then EVENT_ID; the first 70 % (floor) train,
the next 15 % (floor) validation, the rest (~15 %) test. Prints one JSON object:
  lgbm_auc_test, lgbm_auc_validation, lgbm_fit_seconds   LightGBM 4.7, default parameters and
      100 trees, fitted on the training part: numbers as floats (amount, noise_num; ip_address
      as its 32-bit integer, so that trees can split on prefixes), is_new_device as 0/1, every
      other string (email_address as it is, phone_number, billing_country, product_category,
      card_bin, noise_cat) as a categorical code; empty cells are NaN. No derived features.
  bayes_auc_test, bayes_auc_validation   the AUC of p_true: the best any model can reach
  n_train, n_validation, n_test, fraud_rate (all events), fraud_rate_test
With --scores, a CSV of (EVENT_ID, score) with a header, e.g. the extension's scores of the test
events exported by psql, also NAME_auc_test (over the test events that have a score),
NAME_n_scored, NAME_n_test_unscored, NAME_legit_ge_600 / NAME_legit_ge_900 (share of test legit
events scored at least 600 / 900) and NAME_fraud_ge_600 / NAME_fraud_ge_900 (the same for
fraud). --no-lgbm skips LightGBM; --test-ids writes the test events' ids, one a line.

Runs in a virtual environment with lightgbm, numpy and scikit-learn: $LGBM_VENV if set (it must
have them), else one it creates once and then reuses, <tmp>/fraud_bench_lgbm_venv
(`python3 -m venv` + `pip install`, needs the network the first time).
"""
import os
import subprocess
import sys
import tempfile

REQUIREMENTS = ["lightgbm>=4.7,<4.8", "numpy", "scikit-learn"]


def ensure_venv():
    venv = os.environ.get("LGBM_VENV") or os.path.join(tempfile.gettempdir(), "fraud_bench_lgbm_venv")
    venv = os.path.realpath(venv)
    if os.path.realpath(sys.prefix) == venv:
        return
    py = os.path.join(venv, "bin", "python")
    have = os.path.exists(py) and subprocess.run(
        [py, "-c", "import lightgbm, numpy, sklearn"], capture_output=True).returncode == 0
    if not have:
        if os.environ.get("LGBM_VENV"):
            sys.exit(f"LGBM_VENV={venv}: no python with lightgbm, numpy and scikit-learn there")
        print(f"== creating a virtual environment for LightGBM in {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", *REQUIREMENTS], check=True)
    os.execv(py, [py, os.path.abspath(__file__), *sys.argv[1:]])


ensure_venv()

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import lightgbm as lgb  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

NUMERIC = ["amount", "noise_num"]
CATEGORICAL = ["email_address", "phone_number", "billing_country", "product_category", "card_bin", "noise_cat"]


def ip_number(s):
    try:
        a, b, c, d = (int(x) for x in s.split("."))
        return float((a << 24) | (b << 16) | (c << 8) | d)
    except ValueError:
        return np.nan


def codes(values):
    """Categorical codes 0..k-1 of the non-empty strings, NaN for empty ones."""
    arr = np.array(values, dtype=object)
    present = arr != ""
    out = np.full(len(arr), np.nan)
    _, inv = np.unique(arr[present].astype(str), return_inverse=True)
    out[present] = inv
    return out


def auc(y, s):
    return float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("events")
    ap.add_argument("--scores")
    ap.add_argument("--name", default="ours")
    ap.add_argument("--no-lgbm", action="store_true")
    ap.add_argument("--test-ids")
    ap.add_argument("--trees", type=int, default=100)
    a = ap.parse_args()

    with open(a.events, newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows.sort(key=lambda r: (r["EVENT_TIMESTAMP"], r["EVENT_ID"]))
    n = len(rows)
    n_train, n_val = int(n * 0.70), int(n * 0.15)
    train, val, test = slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, n)
    ids = np.array([r["EVENT_ID"] for r in rows], dtype=object)
    y = np.array([r["EVENT_LABEL"] == "fraud" for r in rows], dtype=np.int8)

    truth_path = a.events[:-4] + ".p_true.csv" if a.events.endswith(".csv") else a.events + ".p_true.csv"
    with open(truth_path, newline="") as fh:
        p_of = {r["EVENT_ID"]: float(r["p_true"]) for r in csv.DictReader(fh)}
    p_true = np.array([p_of[i] for i in ids])

    res = {"n_train": n_train, "n_validation": n_val, "n_test": n - n_train - n_val,
           "fraud_rate": round(float(y.mean()), 5), "fraud_rate_test": round(float(y[test].mean()), 5),
           "bayes_auc_test": auc(y[test], p_true[test]), "bayes_auc_validation": auc(y[val], p_true[val])}

    if not a.no_lgbm:
        cols, cat_idx = [], []
        for name in NUMERIC:
            cols.append(np.array([float(r[name]) if r[name] != "" else np.nan for r in rows]))
        cols.append(np.array([ip_number(r["ip_address"]) for r in rows]))
        cols.append(np.array([{"true": 1.0, "false": 0.0}.get(r["is_new_device"], np.nan) for r in rows]))
        for name in CATEGORICAL:
            cat_idx.append(len(cols))
            cols.append(codes([r[name] for r in rows]))
        x = np.column_stack(cols)
        model = lgb.LGBMClassifier(n_estimators=a.trees, random_state=0, verbose=-1)
        t0 = time.perf_counter()
        model.fit(x[train], y[train], categorical_feature=cat_idx)
        res["lgbm_fit_seconds"] = round(time.perf_counter() - t0, 3)
        res["lgbm_auc_test"] = auc(y[test], model.predict_proba(x[test])[:, 1])
        res["lgbm_auc_validation"] = auc(y[val], model.predict_proba(x[val])[:, 1])
        res["lgbm_version"] = lgb.__version__
        res["lgbm_threads"] = os.cpu_count()

    if a.test_ids:
        with open(a.test_ids, "w") as fh:
            fh.writelines(i + "\n" for i in ids[test])

    if a.scores:
        with open(a.scores, newline="") as fh:
            rd = csv.reader(fh)
            next(rd, None)
            score_of = {r[0]: float(r[1]) for r in rd if len(r) >= 2 and r[1] != ""}
        keep = np.array([i in score_of for i in ids[test]])
        yt = y[test][keep]
        s = np.array([score_of[i] for i in ids[test][keep]])
        k = a.name
        res[f"{k}_n_scored"] = int(keep.sum())
        res[f"{k}_n_test_unscored"] = int((~keep).sum())
        res[f"{k}_auc_test"] = auc(yt, s) if len(s) else None
        for cls, mask in (("legit", yt == 0), ("fraud", yt == 1)):
            for thr in (600, 900):
                res[f"{k}_{cls}_ge_{thr}"] = round(float((s[mask] >= thr).mean()), 5) if mask.any() else None

    print(json.dumps({k: (round(v, 5) if isinstance(v, float) else v) for k, v in res.items()}))


if __name__ == "__main__":
    main()
