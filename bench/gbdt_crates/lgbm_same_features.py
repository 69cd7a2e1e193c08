#!/usr/bin/env python3
"""LightGBM 4.7 (defaults, 100 trees, random_state=0, as bench/model_lgbm.py) on exactly the
features src/main.rs gives every crate: amount, noise_num, is_new_device (0/1) as numbers,
email domain, IP /16, phone country code, billing_country, product_category, card_bin,
noise_cat as categorical ids from the training part (unseen -> one shared id, empty -> NaN).
Same split (sort by EVENT_TIMESTAMP, EVENT_ID; 70/15/15 floor). Run with a python that has
lightgbm, numpy and scikit-learn: `$LGBM_VENV/bin/python lgbm_same_features.py EVENTS_CSV`.
Prints one JSON line."""
import csv
import json
import os
import sys
import time

import lightgbm as lgb
import numpy as np
from sklearn.metrics import roc_auc_score


def phone_cc(s):
    t = s.strip()
    if not t:
        return None
    if t.startswith("+"):
        rest = t[1:]
    elif t.startswith("00"):
        rest = t[2:]
    else:
        return "national"
    d = [c for c in rest if c.isdigit()][:3]
    if not d:
        return "invalid"
    if d[0] in "17":
        n = 1
    elif len(d) >= 2 and int(d[0] + d[1]) in (
            {20, 27, 36, 39, 40, 41, 81, 82, 84, 86, 98} | set(range(30, 35)) | set(range(43, 50))
            | set(range(51, 59)) | set(range(60, 67)) | set(range(90, 96))):
        n = 2
    else:
        n = len(d)
    return "".join(d[:n])


def main():
    rows = list(csv.DictReader(open(sys.argv[1], newline="")))
    rows.sort(key=lambda r: (r["EVENT_TIMESTAMP"], r["EVENT_ID"]))
    n = len(rows)
    n_tr, n_va = n * 70 // 100, n * 15 // 100
    num = lambda s: float(s) if s != "" else np.nan
    cols = [
        [num(r["amount"]) for r in rows],
        [num(r["noise_num"]) for r in rows],
        [{"true": 1.0, "false": 0.0}.get(r["is_new_device"], np.nan) for r in rows],
    ]
    raw_cats = [
        [r["email_address"].rsplit("@", 1)[-1].lower() if r["email_address"] else None for r in rows],
        [".".join(r["ip_address"].split(".")[:2]) if r["ip_address"] else None for r in rows],
        [phone_cc(r["phone_number"]) for r in rows],
    ] + [[r[c] or None for r in rows] for c in
         ("billing_country", "product_category", "card_bin", "noise_cat")]
    cat_idx = []
    for vals in raw_cats:
        ids = {}
        for v in vals[:n_tr]:
            if v is not None and v not in ids:
                ids[v] = len(ids)
        cat_idx.append(len(cols))
        cols.append([np.nan if v is None else ids.get(v, len(ids)) for v in vals])
    x = np.column_stack([np.array(c, dtype=np.float64) for c in cols])
    y = np.array([r["EVENT_LABEL"] == "fraud" for r in rows], dtype=np.int32)
    tr, te = slice(0, n_tr), slice(n_tr + n_va, n)
    model = lgb.LGBMClassifier(n_estimators=100, random_state=0, verbose=-1)
    t0 = time.perf_counter()
    model.fit(x[tr], y[tr], categorical_feature=cat_idx)
    fit = time.perf_counter() - t0
    p = model.predict_proba(x[te])[:, 1]
    print(json.dumps({"model": "lightgbm-same-features", "lgbm_version": lgb.__version__,
                      "fit_seconds": round(fit, 3), "trees": 100,
                      "auc_test": round(float(roc_auc_score(y[te], p)), 5),
                      "load1_before_fit": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
