#!/usr/bin/env python3
"""SnowNLP's sentiment (PyPI snownlp) on the held-out rows of a negative/positive corpus, the
baseline of Loopdesk's untrained lexicon: the AUC of 1 - SnowNLP(text).sentiments for telling
the negative reviews apart, on the split `loopdesk bench-triage --split` wrote.

  python3 scripts/sentiment-baseline.py --corpus FILE.csv --split SPLIT.txt
"""
import argparse
import json

import triage_split

from snownlp import SnowNLP
from sklearn.metrics import roc_auc_score


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--split", required=True)
    args = parser.parse_args()
    (label, text), _, test = triage_split.read(args.corpus, args.split)
    truth = [r[label] == "negative" for r in test]
    scores = [1.0 - SnowNLP(r[text]).sentiments for r in test]
    print(json.dumps({"baseline": "SnowNLP sentiments", "test": len(test),
                      "negative_auc": roc_auc_score(truth, scores)}))


if __name__ == "__main__":
    main()
