#!/usr/bin/env bash
# The breach model against LightGBM on the same generated history and the same feature rows
# (issue 23): Loopdesk's figures from `loopdesk-bench risk`, LightGBM's from
# scripts/risk-baseline.py. Prints both.
#
#   scripts/bench-risk.sh [WORKDIR, default target/risk-bench] [loopdesk-bench flags…]
#
# Needs python3 with venv (lightgbm, scikit-learn and numpy come from PyPI) and a release
# build of loopdesk-bench (made if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-${CARGO_TARGET_DIR:-target}/risk-bench}"
shift || true
bin="${CARGO_TARGET_DIR:-target}/release/loopdesk-bench"
venv="$work/venv"
mkdir -p "$work"
[ -x "$bin" ] || cargo build --release -p loopdesk-bench
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q lightgbm scikit-learn numpy
fi
"$bin" risk --out "$work" "$@"
"$venv/bin/python" scripts/risk-baseline.py "$work"
