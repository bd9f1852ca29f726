#!/usr/bin/env bash
# bench_uplift_sklearn.sh — sagitta's uplift models against a scikit-learn
# two-model logistic regression on the same randomized data and the same
# held-out split, judged by the same code.
#
#   1. data: a simulated randomized campaign (sagitta uplift simulate, fixed
#      seed, with the hidden true uplift), or your own CSV (DATA=… with
#      TREATMENT_COL, TREATMENT, CONTROL, OUTCOME, and optionally ID and
#      EXCLUDE naming non-feature columns), or DATA=telco: the real Telco
#      customers of ../shared/data/telco-churn with a randomized retention
#      offer whose effect on them is hidden but known (semi-synthetic);
#   2. python splits it once, stratified by (treatment, outcome), SEED fixed,
#      into train.csv and test.csv — both sides train on train.csv and score
#      test.csv;
#   3. sagitta: `uplift train --model M` for M in two-model, class-transform,
#      tree and auto, then `uplift score`;
#      scikit-learn: one LogisticRegression (lbfgs, C=1.0 — its default) on
#      the treated rows and one on the controls, over standardized numeric
#      columns (blanks imputed with the mean) and one-hot categoricals;
#      uplift = p1 − p0;
#   4. python computes, for every score file, the Qini coefficient, AUUC and
#      Qini at 20% with one function (the definitions of
#      internal/model/uplift/qini.go: ties grouped, trapezoids, per customer
#      of the population) and, with simulated data, the share of the true
#      incremental conversions of the oracle's top 20% that each model's top
#      20% gets.
# Training is timed per side (sagitta: whole process; sklearn: fit only),
# RUNS times alternately; medians printed. Not run in CI.
#
# Usage: scripts/bench_uplift_sklearn.sh   (CUSTOMERS=200000 SEED=7 RUNS=3 OFFER=discount)
set -euo pipefail
cd "$(dirname "$0")/.."
py=/usr/bin/python3
customers=${CUSTOMERS:-200000}
seed=${SEED:-7}
runs=${RUNS:-3}
offer=${OFFER:-discount}

if ! "$py" -c 'import sklearn' 2>/dev/null; then
	echo "bench_uplift_sklearn: installing python3-sklearn" >&2
	apt-get install -y python3-sklearn >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/sagitta" ./cmd/sagitta

truth=""
if [ "${DATA:-}" = telco ]; then
	# Semi-synthetic: real Telco customers, a randomized retention offer with
	# a hidden effect of their real features (the rule of
	# internal/model/uplift/real_test.go, drawn with python's RNG here).
	telco=$(realpath "${TELCO:-../shared/data/telco-churn/Telco-Customer-Churn.csv}")
	"$py" - "$telco" "$work" "$seed" <<'PY'
import csv, random, sys
src, work, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(seed)
with open(src, newline="") as f:
    rows = list(csv.reader(f))
head, rows = rows[0], rows[1:]
ix = {h: i for i, h in enumerate(head)}
with open(f"{work}/data.csv", "w", newline="") as a, open(f"{work}/truth.csv", "w", newline="") as b:
    wa, wb = csv.writer(a), csv.writer(b)
    wa.writerow(head + ["treatment", "retained"]); wb.writerow(["customerID", "type", "true_uplift"])
    for r in rows:
        ten, mc = int(r[ix["tenure"]]), float(r[ix["MonthlyCharges"]])
        s = (0.8 if mc > 70 else 0.45) if r[ix["Contract"]] == "Month-to-month" and ten < 24 else 0.0
        d = 0.3 if r[ix["Contract"]] == "Two year" else 0.0
        churned = r[ix["Churn"]] == "Yes"
        truth = s if churned else -d
        treated = rnd.random() < 0.5
        if treated:
            if churned and rnd.random() < s:
                churned = False
            elif not churned and rnd.random() < d:
                churned = True
        wa.writerow(r + ["offer" if treated else "none", "0" if churned else "1"])
        wb.writerow([r[0], "", f"{truth:.6f}"])
PY
	data="$work/data.csv"
	truth="$work/truth.csv"
	TREATMENT_COL=treatment TREATMENT=offer CONTROL=none OUTCOME=retained ID=customerID EXCLUDE=Churn
elif [ -z "${DATA:-}" ]; then
	"$work/sagitta" uplift simulate --customers "$customers" --seed "$seed" --offer "$offer" \
		--out "$work/data.csv" --truth "$work/truth.csv" >/dev/null
	data="$work/data.csv"
	truth="$work/truth.csv"
	TREATMENT_COL=treatment TREATMENT=treatment CONTROL=control OUTCOME=converted ID=customer_id EXCLUDE=revenue
else
	data=$(realpath "$DATA")
	: "${TREATMENT_COL:?set TREATMENT_COL}" "${TREATMENT:?set TREATMENT}" "${CONTROL:?set CONTROL}" "${OUTCOME:?set OUTCOME}"
	ID=${ID:-}
	EXCLUDE=${EXCLUDE:-}
fi

cat >"$work/common.py" <<'PY'
import csv

def truthy(v):
    return v.strip().lower() in ("1", "true", "yes", "y", "t", "1.0")

def qini(score, treated, y):
    """Qini coefficient, AUUC and Qini at 20%, as in internal/model/uplift/qini.go."""
    n = len(score)
    order = sorted(range(n), key=lambda i: -score[i])
    N = float(n)
    pts = [(0.0, 0.0, 0.0)]
    nt = nc = yt = yc = 0.0
    area = uarea = 0.0
    g = 0
    while g < n:
        e = g
        s = score[order[g]]
        while e < n and score[order[e]] == s:
            i = order[e]
            if treated[i]:
                nt += 1; yt += y[i]
            else:
                nc += 1; yc += y[i]
            e += 1
        g = e
        f = e / N
        q = (yt - yc * nt / nc) / N if nc > 0 else yt / N
        u = (yt / nt - yc / nc) * e / N if nt > 0 and nc > 0 else 0.0
        pf, pq, pu = pts[-1]
        area += (f - pf) * (q + pq) / 2
        uarea += (f - pf) * (u + pu) / 2
        pts.append((f, q, u))
    total = pts[-1][1]
    at20 = 0.0
    for k in range(1, len(pts)):
        if pts[k][0] >= 0.2:
            (a, qa, _), (b, qb, _) = pts[k - 1], pts[k]
            at20 = qb if b == a else qa + (qb - qa) * (0.2 - a) / (b - a)
            break
    return area - total / 2, uarea, at20
PY

# 2. One split for both sides.
"$py" - "$data" "$work" "$TREATMENT_COL" "$TREATMENT" "$CONTROL" "$OUTCOME" "$seed" <<'PY'
import csv, random, sys
sys.path.insert(0, sys.argv[2])
from common import truthy
data, work, tcol, tval, cval, ycol, seed = sys.argv[1:]
with open(data, newline="") as f:
    rows = list(csv.reader(f))
head, rows = rows[0], rows[1:]
ti, yi = head.index(tcol), head.index(ycol)
cells = {}
for k, r in enumerate(rows):
    cells.setdefault((r[ti] == tval, truthy(r[yi])), []).append(k)
rnd = random.Random(int(seed))
test = set()
for key in sorted(cells):
    c = cells[key]
    rnd.shuffle(c)
    test.update(c[: int(len(c) * 0.3 + 0.5)])
with open(f"{work}/train.csv", "w", newline="") as a, open(f"{work}/test.csv", "w", newline="") as b, open(f"{work}/test_rows.txt", "w") as c:
    wa, wb = csv.writer(a), csv.writer(b)
    wa.writerow(head); wb.writerow(head)
    for k, r in enumerate(rows):
        if k in test:
            wb.writerow(r); c.write(f"{k}\n")
        else:
            wa.writerow(r)
print(f"split: {len(rows) - len(test)} train, {len(test)} test rows", file=sys.stderr)
PY

cat >"$work/sk.py" <<'PY'
import csv, sys, time
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
sys.path.insert(0, sys.argv[1])
from common import truthy
work, tcol, tval, cval, ycol, idcol, exclude = sys.argv[1:8]
skip = {tcol, ycol, idcol} | set(x for x in exclude.split(",") if x)

def load(path):
    with open(path, newline="") as f:
        r = list(csv.reader(f))
    return r[0], r[1:]

head, train = load(f"{work}/train.csv")
_, test = load(f"{work}/test.csv")
feats = [h for h in head if h not in skip]
idx = {h: i for i, h in enumerate(head)}

def isnum(col):
    for r in train:
        v = r[idx[col]].strip()
        if v in ("", "NA", "NaN"):
            continue
        try:
            float(v)
        except ValueError:
            return False
    return True

num = [c for c in feats if isnum(c)]
cat = [c for c in feats if c not in num]

def matrix(rows):
    X = np.empty((len(rows), len(feats)), dtype=object)
    for j, c in enumerate(feats):
        k = idx[c]
        for i, r in enumerate(rows):
            v = r[k].strip()
            if c in num:
                X[i, j] = float(v) if v not in ("", "NA", "NaN") else np.nan
            else:
                X[i, j] = v
    return X

Xtr, Xte = matrix(train), matrix(test)
t = np.array([r[idx[tcol]] == tval for r in train])
y = np.array([truthy(r[idx[ycol]]) for r in train], dtype=int)
pre = ColumnTransformer([
    ("num", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), [feats.index(c) for c in num]),
    ("cat", OneHotEncoder(handle_unknown="ignore"), [feats.index(c) for c in cat]),
])
t0 = time.perf_counter()
m1 = make_pipeline(pre, LogisticRegression(max_iter=1000)).fit(Xtr[t], y[t])
from sklearn.base import clone
m0 = make_pipeline(clone(pre), LogisticRegression(max_iter=1000)).fit(Xtr[~t], y[~t])
fit = time.perf_counter() - t0
u = m1.predict_proba(Xte)[:, 1] - m0.predict_proba(Xte)[:, 1]
with open(f"{work}/sklearn.csv", "w") as f:
    f.write("uplift\n")
    for v in u:
        f.write(f"{v:.8g}\n")
print(f"{fit:.3f}")
PY

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
spec=(--treatment-col "$TREATMENT_COL" --treatment "$TREATMENT" --control "$CONTROL" --outcome "$OUTCOME")
[ -n "$ID" ] && spec+=(--id "$ID")
[ -n "$EXCLUDE" ] && spec+=(--exclude "$EXCLUDE")
models=(two-model class-transform tree auto)
: >"$work/t_sklearn"
for m in "${models[@]}"; do : >"$work/t_$m"; done
for run in $(seq 1 "$runs"); do
	"$py" "$work/sk.py" "$work" "$TREATMENT_COL" "$TREATMENT" "$CONTROL" "$OUTCOME" "$ID" "$EXCLUDE" >>"$work/t_sklearn"
	for m in "${models[@]}"; do
		s=$(date +%s.%N)
		"$work/sagitta" uplift train --data "$work/train.csv" "${spec[@]}" --model "$m" --seed "$seed" --out "$work/$m.json" >/dev/null
		e=$(date +%s.%N)
		echo "$e - $s" | bc >>"$work/t_$m"
	done
done
for m in "${models[@]}"; do
	"$work/sagitta" uplift score --model "$work/$m.json" --data "$work/test.csv" --out "$work/$m.csv"
done
chosen=$("$work/sagitta" uplift train --data "$work/train.csv" "${spec[@]}" --model auto --seed "$seed" --out "$work/auto.json" --json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["kind"])')

echo "data: ${DATA:-simulated $offer, $customers customers, seed $seed}; held-out split 30% (seed $seed); $runs runs, medians; load: $(cut -d' ' -f1-3 /proc/loadavg)"
{
	echo "sklearn-two-model $(median <"$work/t_sklearn")"
	for m in "${models[@]}"; do echo "sagitta-$m $(median <"$work/t_$m")"; done
} >"$work/times"
"$py" - "$work" "$TREATMENT_COL" "$TREATMENT" "$OUTCOME" "$truth" "$chosen" "${models[@]}" <<'PY'
import csv, sys
sys.path.insert(0, sys.argv[1])
from common import qini, truthy
work, tcol, tval, ycol, truth, chosen = sys.argv[1:7]
models = sys.argv[7:]
with open(f"{work}/test.csv", newline="") as f:
    r = list(csv.reader(f))
head, rows = r[0], r[1:]
ti, yi = head.index(tcol), head.index(ycol)
treated = [x[ti] == tval for x in rows]
y = [1 if truthy(x[yi]) else 0 for x in rows]
true_u = None
if truth:
    with open(f"{work}/test_rows.txt") as f:
        keep = [int(l) for l in f]
    with open(truth, newline="") as f:
        tr = list(csv.reader(f))[1:]
    true_u = [float(tr[k][2]) for k in keep]
    top = sorted(range(len(true_u)), key=lambda i: -true_u[i])[: int(0.2 * len(true_u))]
    oracle = sum(true_u[i] for i in top)
times = dict(l.split() for l in open(f"{work}/times"))
def scores(name):
    with open(f"{work}/{name}.csv", newline="") as f:
        rr = list(csv.reader(f))
    c = rr[0].index("uplift")
    return [float(x[c]) for x in rr[1:]]
print(f"{'model':<34} {'qini':>9} {'auuc':>9} {'qini@20%':>9} {'%oracle@20%':>12} {'train s':>8}")
for name, label, t in [("sklearn", "sklearn two-model", times["sklearn-two-model"])] + \
        [(m, f"sagitta {m}" + (f" -> {chosen}" if m == "auto" else ""), times[f"sagitta-{m}"]) for m in models]:
    s = scores(name)
    q, a, q20 = qini(s, treated, y)
    rec = ""
    if true_u is not None:
        top = sorted(range(len(s)), key=lambda i: -s[i])[: int(0.2 * len(s))]
        rec = f"{100 * sum(true_u[i] for i in top) / oracle:.1f}%"
    print(f"{label:<34} {q:9.5f} {a:9.5f} {q20:9.5f} {rec:>12} {float(t):8.2f}")
PY
