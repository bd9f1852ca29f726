#!/usr/bin/env bash
# Import benchmark: Sagitta importing Online Retail (gzip, end to end, with
# identity resolution, validation and indexes) against the sqlite3 CLI's
# `.import` of the same CSV, uncompressed, into a bare table. Runs alternate,
# side by side, RUNS times (default 3); prints each run and the medians.
#
#   scripts/bench_import.sh [FILE.csv.gz]   (default ../shared/data/online-retail/online-retail.csv.gz)
#
# Needs sqlite3 and GNU time (/usr/bin/time) for peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-../shared/data/online-retail/online-retail.csv.gz}
runs=${RUNS:-3}
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/sagitta" ./cmd/sagitta
zcat -f "$file" > "$work/data.csv"
printf '%-8s %-10s %10s %12s\n' run tool seconds peak_rss_mb
s_times=(); q_times=(); s_rss=(); q_rss=()
for i in $(seq 1 "$runs"); do
  rm -rf "$work/q.db" "$work/data-$i"
  /usr/bin/time -f '%e %M' -o "$work/q.time" sqlite3 "$work/q.db" ".mode csv" ".import $work/data.csv t"
  read -r qs qm < "$work/q.time"
  /usr/bin/time -f '%e %M' -o "$work/s.time" "$work/sagitta" import orders --preset online-retail \
    --data-dir "$work/data-$i" --json "$file" > "$work/s.json"
  read -r ss sm < "$work/s.time"
  printf '%-8s %-10s %10s %12s\n' "$i" sqlite3 "$qs" "$((qm / 1024))" "$i" sagitta "$ss" "$((sm / 1024))"
  q_times+=("$qs"); s_times+=("$ss"); q_rss+=("$qm"); s_rss+=("$sm")
  rm -rf "$work/data-$i"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
qm=$(median "${q_times[@]}"); sm=$(median "${s_times[@]}")
echo "median sqlite3 .import: ${qm}s, peak RSS $(( $(median "${q_rss[@]}") / 1024 )) MB"
echo "median sagitta import:  ${sm}s, peak RSS $(( $(median "${s_rss[@]}") / 1024 )) MB"
awk -v s="$sm" -v q="$qm" 'BEGIN {printf "ratio sagitta/sqlite3: %.2f (target <= 2.00)\n", s/q}'
grep -E '"(read|imported|rejected|duplicates)"' "$work/s.json" | tr -d ' \n'; echo
