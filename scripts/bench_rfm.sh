#!/usr/bin/env bash
# bench_rfm.sh — RFM, value–loyalty classes and lifecycle stages for UCI
# Online Retail, side by side:
#   engine  open the SQLite store (imported once, beforehand) and compute all
#           per-customer features, RFM scores and segments, A/B/C classes and
#           lifecycle stages as of 2011-12-10, then summarize them;
#   pandas  read_csv of the same CSV (only the five columns RFM needs, dates
#           parsed with an explicit format: pandas at its best), the
#           importer's reject rule, and a groupby computing recency,
#           frequency and monetary.
# Each is timed inside its own process (interpreter start-up and `import
# pandas` excluded; Go process start-up excluded), run alternately RUNS
# times; the script prints the medians and engine / pandas (target <= 0.5).
#
# Usage: scripts/bench_rfm.sh   (DATA=path/to/online-retail.csv.gz RUNS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
data=$(realpath "${DATA:-../shared/data/online-retail/online-retail.csv.gz}")
runs=${RUNS:-3}
py=/usr/bin/python3

if [ ! -f "$data" ]; then
	echo "bench_rfm: $data not found (set DATA)" >&2
	exit 1
fi
if ! "$py" -c 'import pandas' 2>/dev/null; then
	echo "bench_rfm: installing python3-pandas" >&2
	apt-get install -y python3-pandas >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/rfm.py" <<'PY'
import sys, time
import pandas as pd
t0 = time.perf_counter()
df = pd.read_csv(sys.argv[1], usecols=["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
                 dtype={"InvoiceNo": str, "CustomerID": str})
cancel = df["InvoiceNo"].str.startswith("C")
keep = (df["UnitPrice"] >= 0) & (cancel | (df["Quantity"] >= 0)) & df["CustomerID"].notna()
sales = df[keep & ~cancel].copy()
sales["amount"] = sales["Quantity"] * sales["UnitPrice"]
sales["day"] = pd.to_datetime(sales["InvoiceDate"].str[:10], format="%Y-%m-%d")
g = sales.groupby("CustomerID").agg(last=("day", "max"), frequency=("InvoiceNo", "nunique"),
                                    monetary=("amount", "sum"))
g["recency"] = (pd.Timestamp("2011-12-10") - g["last"]).dt.days
print(f"pandas_seconds {time.perf_counter() - t0:.4f} customers {len(g)}")
PY

echo "building the engine benchmark and importing $(basename "$data") ..." >&2
go test -c -o "$work/feature.test" ./internal/feature
cd "$root/internal/feature"
SAGITTA_BENCH_RFM=prepare SAGITTA_BENCH_STORE="$work/store" SAGITTA_BENCH_DATA="$data" \
	"$work/feature.test" -test.run '^TestBenchRFM$' >&2

: >"$work/engine.txt"
: >"$work/pandas.txt"
for i in $(seq "$runs"); do
	p=$("$py" "$work/rfm.py" "$data")
	e=$(SAGITTA_BENCH_RFM=run SAGITTA_BENCH_STORE="$work/store" "$work/feature.test" -test.run '^TestBenchRFM$' | grep engine_seconds)
	echo "run $i: $p | $e"
	echo "$p" | awk '{print $2}' >>"$work/pandas.txt"
	echo "$e" | awk '{print $2}' >>"$work/engine.txt"
done
median() { sort -g "$1" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
pm=$(median "$work/pandas.txt")
em=$(median "$work/engine.txt")
awk -v p="$pm" -v e="$em" 'BEGIN {printf "median pandas %.3fs, engine %.3fs, engine/pandas %.2f (target <= 0.50)\n", p, e, e / p}'
