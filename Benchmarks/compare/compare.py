#!/usr/bin/env python3
"""Side-by-side: rectrain's kernels and the peers' on the same file, same threads, alternating.

Prints a table of median seconds and ours/theirs ratios, measured in this run, then top-N
accuracy on the shared ML-100K split (ours from `rectrain evaluate`, theirs computed here) and
our rating RMSE on the five folds. Run through run.sh, which prepares the environment.
"""
import argparse, json, os, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


def ours(args, kernel, extra):
    return run_json([args.rectrain, "bench", "--kernel", kernel, "--data", args.data, "--threads", "2",
                     "--repeats", str(args.repeats), "--json"] + extra + args.iteration_flags)


def theirs(args, kernel, extra):
    return run_json([sys.executable, os.path.join(HERE, "peers.py"), "--kernel", kernel, "--data", args.data,
                     "--threads", "2", "--repeats", str(args.repeats)] + extra + args.iteration_flags)


# (label, our kernel, our options, peer kernel, peer options, compared field)
CASES = [
    ("ALS implicit, 64 factors, per iteration", "als", ["--factors", "64"], "als", ["--factors", "64"], "per_iteration_seconds"),
    ("ALS implicit, 128 factors, per iteration", "als", ["--factors", "128"], "als", ["--factors", "128"], "per_iteration_seconds"),
    ("randomized SVD, k = 64", "svd", ["--factors", "64"], "svd", ["--factors", "64"], "median_seconds"),
    ("NMF k = 64, 50 iterations (vs scikit-learn mu)", "nmf", ["--factors", "64", "--iterations", "50"], "nmf-mu",
     ["--factors", "64", "--iterations", "50"], "median_seconds"),
    ("item cosine top-20", "cosine", ["--k", "20"], "cosine", ["--k", "20"], "median_seconds"),
    ("top-10 for all users", "topn", [], "topn", [], "median_seconds"),
]


def speed(args):
    print(f"{'kernel':48} {'ours s':>9} {'theirs s':>9} {'ratio':>7}")
    for label, k, ko, p, po, field in CASES:
        if args.quick and "128" in label:
            continue
        if args.only and k not in args.only.split(","):
            continue
        a, b = [], []
        for _ in range(args.rounds):          # alternate, so drift hits both sides
            a.append(ours(args, k, ko)[field])
            b.append(theirs(args, p, po)[field])
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{label:48} {ma:9.3f} {mb:9.3f} {ma / mb:7.2f}")


def accuracy(args):
    split = os.path.join(args.shared, "splits", "ml100k")
    if not os.path.exists(os.path.join(split, "topn_train.csv")):
        print("(accuracy skipped: no shared ML-100K splits)")
        return
    import numpy as np, scipy.sparse as sp
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import CosineRecommender

    def read(path, users, items):
        rows = [l.rstrip("\n").split(",") for l in open(path)][1:]
        return [(users.setdefault(r[0], len(users)), items.setdefault(r[1], len(items))) for r in rows]

    users, items = {}, {}
    train = read(os.path.join(split, "topn_train.csv"), users, items)
    test = read(os.path.join(split, "topn_test.csv"), users, items)
    x = sp.csr_matrix((np.ones(len(train), dtype=np.float32), ([u for u, _ in train], [i for _, i in train])),
                      shape=(len(users), len(items)))
    x.data[:] = 1
    relevant = {}
    for u, i in test:
        relevant.setdefault(u, set()).add(i)

    def metrics(recommend):
        nd, pr = [], []
        for u, rel in relevant.items():
            top = recommend(u)
            hits = [1 if i in rel else 0 for i in top[:10]]
            dcg = sum(h / np.log2(r + 2) for r, h in enumerate(hits))
            idcg = sum(1 / np.log2(r + 2) for r in range(min(10, len(rel))))
            nd.append(dcg / idcg); pr.append(sum(hits) / 10)
        return float(np.mean(nd)), float(np.mean(pr))

    def from_implicit(model):
        from threadpoolctl import threadpool_limits
        with threadpool_limits(1, "blas"):   # implicit's recommendation
            model.fit(x, show_progress=False)
            ids, _ = model.recommend(np.arange(x.shape[0]), x, N=10, filter_already_liked_items=True)
        return lambda u: list(ids[u])

    def ease(lam=500.0):
        g = (x.T @ x).toarray().astype(np.float64) + lam * np.eye(x.shape[1])
        p = np.linalg.inv(g); b = -p / np.diag(p); np.fill_diagonal(b, 0)
        s = np.asarray(x @ b); s[x.nonzero()] = -np.inf
        return lambda u: list(np.argsort(-s[u])[:10])

    peers = {
        "als": ("implicit ALS 64 factors", from_implicit(AlternatingLeastSquares(factors=64, num_threads=2, random_state=1))),
        "itemknn": ("implicit item-kNN cosine K=20", from_implicit(CosineRecommender(K=20))),
        "ease": ("EASE numpy λ=500", ease()),
    }
    print(f"\n{'ML-100K top-N':34} {'ours nDCG':>10} {'theirs':>8} {'ours P@10':>10} {'theirs':>8}")
    for name, (label, rec) in peers.items():
        o = run_json([args.rectrain, "evaluate", "--train", os.path.join(split, "topn_train.csv"),
                      "--test", os.path.join(split, "topn_test.csv"), "--model", name, "--json"])
        nd, pr = metrics(rec)
        print(f"{name + ' vs ' + label:34.34} {o['ndcg']:10.4f} {nd:8.4f} {o['precision']:10.4f} {pr:8.4f}")
    def folds(model):
        return [run_json([args.rectrain, "evaluate", "--train", os.path.join(split, f"rating_fold{f}_train.csv"),
                          "--test", os.path.join(split, f"rating_fold{f}_test.csv"), "--model", model,
                          "--task", "rating", "--json"]) for f in range(1, 6)]
    print(f"\n{'ML-100K ratings, 5 folds':34} {'RMSE':>10} {'MAE':>8}")
    for model in ["als-explicit", "knn-baseline", "blend"]:
        r = folds(model)
        print(f"{model:34} {statistics.mean(x['rmse'] for x in r):10.4f} {statistics.mean(x['mae'] for x in r):8.4f}")
    print("(shared README, same folds: Surprise SVD 0.936, SVD++ 0.921, KNNBaseline 0.916)")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rectrain", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--shared", default="")
    p.add_argument("--rounds", type=int, default=None, help="alternating rounds (default 2; 1 with --quick)")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="skip the 128-factor case, one repeat, and one round unless --rounds")
    p.add_argument("--only", default="", help="comma-separated kernels to time (als,svd,nmf,cosine,topn); default all")
    p.add_argument("--accuracy-only", action="store_true", help="skip the speed table")
    p.add_argument("--iterations", type=int, default=0, help="ALS/NMF iterations for both sides (default: each tool's bench default, 10)")
    args = p.parse_args()
    args.iteration_flags = ["--iterations", str(args.iterations)] if args.iterations else []
    if args.quick:
        args.repeats = 1
    args.rounds = args.rounds or (1 if args.quick else 2)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU") \
        if os.path.exists("/proc/cpuinfo") else "unknown CPU"
    print(f"machine: {cpu}, {os.cpu_count()} cores; rectrain {args.rectrain}; data {args.data}\n")
    if not args.accuracy_only:
        speed(args)
    accuracy(args)


if __name__ == "__main__":
    main()
