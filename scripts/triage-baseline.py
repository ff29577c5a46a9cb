#!/usr/bin/env python3
"""The baseline the triage classifier is compared with: scikit-learn's TF-IDF over jieba's
words and a LogisticRegression (the library's defaults), on the split `loopdesk
bench-triage --split` wrote, printing one JSON object like the benchmark's.

  python3 scripts/triage-baseline.py --corpus FILE.csv --split SPLIT.txt [--pairs]

--pairs adds the two-character runs of the Chinese text to jieba's words, the features
Loopdesk's classifier reads: the same LogisticRegression on the same features, to tell the
model's share of a difference from the features'.
"""
import argparse
import json

import triage_split
import time

import jieba
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score


def cjk(c):
    return "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--split", required=True)
    parser.add_argument("--pairs", action="store_true")
    args = parser.parse_args()
    jieba.setLogLevel(60)
    (label, text), train, test = triage_split.read(args.corpus, args.split)
    started = time.perf_counter()
    def cut_one(t):
        words = jieba.lcut(t)
        if args.pairs:
            words += ["\x02" + a + b for a, b in zip(t, t[1:]) if cjk(a) and cjk(b)]
        return words

    cut = lambda rs: [cut_one(r[text]) for r in rs]
    train_words, test_words = cut(train), cut(test)
    featurise = time.perf_counter() - started
    vectorizer = TfidfVectorizer(analyzer=lambda words: words, sublinear_tf=True)
    started = time.perf_counter()
    x = vectorizer.fit_transform(train_words)
    model = LogisticRegression(max_iter=1000)
    model.fit(x, [r[label] for r in train])
    train_seconds = time.perf_counter() - started
    guess = model.predict(vectorizer.transform(test_words))
    truth = [r[label] for r in test]
    print(json.dumps({
        "target": "label",
        "baseline": "scikit-learn TF-IDF(jieba%s) + LogisticRegression" % (" + pairs" if args.pairs else ""),
        "train": len(train), "test": len(test),
        "accuracy": accuracy_score(truth, guess),
        "macro_f1": f1_score(truth, guess, average="macro"),
        "train_seconds": train_seconds, "featurise_seconds": featurise,
    }))


if __name__ == "__main__":
    main()
