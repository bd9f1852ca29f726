#!/usr/bin/env bash
# bench_churn_telco.sh — churn classifiers on the IBM Telco customer churn
# data, side by side on the same five stratified folds:
#   sklearn  LogisticRegression (median-imputed, standardized numbers,
#            one-hot categories; C = 1) and HistGradientBoostingClassifier
#            (native categorical support; defaults, random_state 0);
#   sagitta  'sagitta model churn eval' with the same fold assignment
#            (logistic regression, histogram GBDT, their blend, and the kind
#            each fold's inner cross-validation chose).
# Every column but customerID is a feature; the label is Churn=Yes. The folds
# are StratifiedKFold(5, shuffle=True, random_state=0), written to a file
# that both sides read. The script prints the mean AUC of each model over
# the folds, and the time each side took.
#
# Usage: scripts/bench_churn_telco.sh   (DATA=path/to/Telco-Customer-Churn.csv)
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(realpath "${DATA:-../shared/data/telco-churn/Telco-Customer-Churn.csv}")
py=/usr/bin/python3 # python3 on PATH may be another interpreter without scikit-learn

if [ ! -f "$data" ]; then
	echo "bench_churn_telco: $data not found (set DATA)" >&2
	exit 1
fi
if ! "$py" -c 'import sklearn, pandas' 2>/dev/null; then
	echo "bench_churn_telco: installing python3-sklearn python3-pandas" >&2
	apt-get install -y python3-sklearn python3-pandas >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/sk.py" <<'PY'
import sys, time
import numpy as np, pandas as pd
from sklearn.model_selection import StratifiedKFold
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, OrdinalEncoder
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

df = pd.read_csv(sys.argv[1])
y = (df["Churn"] == "Yes").to_numpy()
X = df.drop(columns=["customerID", "Churn"])
X["TotalCharges"] = pd.to_numeric(X["TotalCharges"].str.strip(), errors="coerce")  # blanks -> NaN
num = [c for c in X.columns if X[c].dtype != object]
cat = [c for c in X.columns if X[c].dtype == object]
folds = np.zeros(len(y), dtype=int)
for k, (_, te) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)):
    folds[te] = k
np.savetxt(sys.argv[2], folds, fmt="%d")

lr = make_pipeline(ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
        ("cat", OneHotEncoder(handle_unknown="ignore"), cat)]),
    LogisticRegression(C=1.0, max_iter=2000))
hgb = make_pipeline(ColumnTransformer([
        ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), cat),
        ("num", "passthrough", num)]),
    HistGradientBoostingClassifier(categorical_features=list(range(len(cat))), random_state=0))
t0 = time.perf_counter()
for name, model in [("logistic_regression", lr), ("hist_gradient_boosting", hgb)]:
    aucs = []
    for k in range(5):
        tr, te = folds != k, folds == k
        model.fit(X[tr], y[tr])
        aucs.append(roc_auc_score(y[te], model.predict_proba(X[te])[:, 1]))
    print(f"sklearn  {name:24s} AUC {np.mean(aucs):.4f}  folds {' '.join(f'{a:.4f}' for a in aucs)}")
print(f"sklearn  seconds {time.perf_counter() - t0:.2f}")
PY

go build -o "$work/sagitta" ./cmd/sagitta
"$py" "$work/sk.py" "$data" "$work/folds.txt"
t0=$(date +%s.%N)
"$work/sagitta" model churn eval --data "$data" --label Churn=Yes --id customerID --folds-file "$work/folds.txt" --json >"$work/sg.json"
t1=$(date +%s.%N)
"$py" - "$work/sg.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for k in ["logistic", "gbdt", "blend"]:
    m = r["models"][k]
    print(f"sagitta  {k:24s} AUC {m['auc']:.4f}  folds {' '.join(f'{a:.4f}' for a in m['fold_auc'])}")
c = r["chosen"]
print(f"sagitta  {'chosen (inner CV)':24s} AUC {c['auc']:.4f}  folds {' '.join(f'{a:.4f}' for a in c['fold_auc'])}")
print(f"sagitta  PR-AUC {c['pr_auc']:.4f}  top-decile lift {c['top_decile_lift']:.2f}  (chosen model, pooled out of fold)")
PY
echo "sagitta  seconds $(echo "$t1 - $t0" | bc)"
