#!/usr/bin/env bash
# `make bench-compare BASE=<rev>`: the benchmarks of BASE, then of the working tree, one right
# after the other on this machine; BASE's results go to bench/RESULTS-base.md, the working
# tree's to bench/RESULTS.md. BASE runs from a clone of its own, in a virtualenv of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${BASE:?set BASE to the git revision to compare with}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
git clone -q . "$dir/base"
git -C "$dir/base" checkout -q "$base"
python3 -m venv "$dir/venv"
"$dir/venv/bin/python" -m pip install -q "$dir/base[test]"
echo "== bench of $base"
(cd "$dir/base" && "$dir/venv/bin/python" -m bench.run)
cp "$dir/base/bench/RESULTS.md" bench/RESULTS-base.md
echo "== bench of the working tree"
.venv/bin/python -m bench.run
