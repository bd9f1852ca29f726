#!/usr/bin/env bash
# Large-scale import: generate a synthetic shop of N people (default 10M,
# ~100M events) and import every file into a fresh embedded store, timing
# each step with GNU time (wall seconds, peak RSS). Takes about an hour on
# 2 cores; needs ~40 GB of disk under DIR.
#
#   scripts/bench_big.sh [PEOPLE] [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
people=${1:-10000000}
dir=${2:-/tmp/sagitta-big}
mkdir -p "$dir"
CGO_ENABLED=0 go build -o "$dir/sagitta" ./cmd/sagitta
bin="$dir/sagitta"
t() { /usr/bin/time -f "%e s wall, %M KB peak RSS" -a -o "$dir/times.txt" "$@"; }
: > "$dir/times.txt"
echo "generate $people" >> "$dir/times.txt"
t "$bin" generate --customers "$people" --out "$dir/input" --json > "$dir/manifest.out"
rm -rf "$dir/data"
for spec in items:items.csv:shop customers:customers_crm.csv:crm customers:customers_shop.jsonl:shop \
  customers:customers_pos.tsv:pos orders:orders_shop.csv:shop orders:orders_pos.csv:pos events:events_web.csv:shop; do
  IFS=: read -r kind file source <<< "$spec"
  echo "import $kind $file" >> "$dir/times.txt"
  t "$bin" import "$kind" --source "$source" --data-dir "$dir/data" --json "$dir/input/$file" > "$dir/import-$file.json"
  grep -E '"(read|imported|rejected|duplicates|seconds)"' "$dir/import-$file.json" | tr -d ' \n' >> "$dir/times.txt"; echo >> "$dir/times.txt"
done
"$bin" stats --json --data-dir "$dir/data" | tee -a "$dir/times.txt"
du -sh "$dir/data" "$dir/input" | tee -a "$dir/times.txt"
cat "$dir/times.txt"
