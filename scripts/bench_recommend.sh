#!/usr/bin/env bash
# Recommendation quality and speed on the shared datasets:
#   MovieLens-100K random leave-one-out (full ranking and 100 sampled
#   negatives) for seeds 1..RUNS, popularity and ALS;
#   Online Retail time split at 2011-09-01, popularity, item-kNN, ALS, blend;
#   Groceries rule mining at support 0.001, confidence 0.5 and 0.8.
# Prints one JSON line per run and the medians. Needs python3.
#
#   scripts/bench_recommend.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
data=${DATA:-../shared/data}
bin=$(mktemp -d)/sagitta
CGO_ENABLED=0 go build -o "$bin" ./cmd/sagitta
out=$(mktemp)
ml="$data/movielens-100k/u.data"
or="$data/online-retail/online-retail.csv.gz"
for seed in $(seq 1 "$runs"); do
  for proto in loo loo-sampled; do
    for model in popularity als; do
      "$bin" recommend eval --interactions "$ml" --protocol $proto --model $model --seed "$seed" --json |
        python3 -c "import json,sys; d=json.load(sys.stdin); m=d['metrics']; print(json.dumps({'data':'movielens','protocol':'$proto','model':'$model','seed':$seed,'ndcg':m['ndcg'],'hr':m['hr'],'map':m['map'],'coverage':m['coverage'],'train_s':d['train_seconds']}))" | tee -a "$out"
    done
  done
done
for model in popularity itemknn als blend; do
  "$bin" recommend eval --interactions "$or" --protocol time --split-time 2011-09-01 --model $model --json |
    python3 -c "import json,sys; d=json.load(sys.stdin); m=d['metrics']; print(json.dumps({'data':'online-retail','protocol':'time','model':'$model','seed':1,'ndcg':m['ndcg'],'hr':m['hr'],'recall':m['recall'],'precision':m['precision'],'map':m['map'],'coverage':m['coverage'],'users':m['users'],'train_s':d['train_seconds']}))" | tee -a "$out"
done
for conf in 0.5 0.8; do
  for _ in $(seq 1 "$runs"); do
    "$bin" rules mine --baskets "$data/groceries/groceries.csv" --min-support 0.001 --min-confidence $conf --json |
      python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({'data':'groceries','confidence':'$conf','itemsets':d['itemsets'],'rules':d['rules'],'mine_ms':1000*d['seconds']}))" | tee -a "$out"
  done
done
python3 - "$out" <<'PY'
import json, sys, statistics as st
from collections import defaultdict
g = defaultdict(list)
for line in open(sys.argv[1]):
    d = json.loads(line)
    key = (d['data'], d.get('protocol', d.get('confidence')), d.get('model', ''))
    g[key].append(d)
print("\nmedians")
for k, v in g.items():
    fields = [f for f in v[0] if f not in ('data', 'protocol', 'model', 'seed', 'confidence')]
    print(' '.join(map(str, k)), ' '.join(f"{f}={st.median(x[f] for x in v):.4g}" for f in fields), f"(n={len(v)})")
PY
