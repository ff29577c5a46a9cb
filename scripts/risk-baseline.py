#!/usr/bin/env python3
"""LightGBM (PyPI lightgbm) on the very rows `loopdesk-bench risk --out DIR` wrote: trained on
train.csv (every ticket known before the judged weeks, at its moments), judged on test.csv by
the same AUC and Brier score, the baseline of Loopdesk's breach model (issue 23).

  python3 scripts/risk-baseline.py DIR
"""
import argparse
import csv
import json
import time

import lightgbm as lgb
import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    data = np.array(rows[1:], dtype=float)
    return rows[0][:-1], data[:, :-1], data[:, -1].astype(int)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    args = parser.parse_args()
    names, x_train, y_train = read(f"{args.dir}/train.csv")
    _, x_test, y_test = read(f"{args.dir}/test.csv")
    started = time.perf_counter()
    model = lgb.LGBMClassifier(n_estimators=400, learning_rate=0.05, num_leaves=31,
                               min_child_samples=50, subsample=0.8, subsample_freq=1,
                               colsample_bytree=0.8, verbose=-1)
    model.fit(x_train, y_train)
    train_ms = (time.perf_counter() - started) * 1000
    p = model.predict_proba(x_test)[:, 1]
    print(json.dumps({"baseline": "LightGBM", "features": len(names),
                      "train_rows": len(y_train), "test_rows": len(y_test),
                      "auc": roc_auc_score(y_test, p), "brier": brier_score_loss(y_test, p),
                      "train_ms": round(train_ms)}))


if __name__ == "__main__":
    main()
