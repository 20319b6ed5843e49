#!/usr/bin/env python3
"""Times the peers' equivalents of `rectrain bench` kernels on the same CSV file.

usage: peers.py --kernel als|svd|nmf-mu|nmf-cd|cosine|topn --data FILE [--factors 64]
                [--iterations 10] [--regularization 0.05] [--alpha 1] [--k 20]
                [--threads 2] [--repeats 3] [--seed 42]
Prints one JSON object: kernel, peer, median_seconds, times and, where defined,
per_iteration_seconds, loss, singular_values.
"""
import argparse, json, os, statistics, sys, time

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits


def load_rmx(path):
    """The users x items binary matrix of a `rectrain convert` file (docs/data-formats.md):
    its user and item columns read in place with numpy, so that 100 M rows load in seconds."""
    import struct
    with open(path, "rb") as f:
        head = f.read(64)
    if head[:8] != b"RMX1\r\n\x1a\n":
        raise SystemExit(f"{path}: not a binary interaction file")
    rows, users, items, user_bytes, item_bytes = struct.unpack_from("<5Q", head, 16)
    pad = lambda n: (n + 63) // 64 * 64
    offset = 64 + pad(8 * users) + pad(user_bytes) + pad(8 * items) + pad(item_bytes)
    ui = np.fromfile(path, dtype="<i4", count=rows, offset=offset)
    ii = np.fromfile(path, dtype="<i4", count=rows, offset=offset + pad(4 * rows))
    x = sp.csr_matrix((np.ones(rows, dtype=np.float32), (ui, ii)), shape=(users, items))
    x.data[:] = 1  # binary, duplicates collapsed
    return x


def load(path):
    with open(path, "rb") as f:
        if f.read(8) == b"RMX1\r\n\x1a\n":
            return load_rmx(path)
    users, items, ui, ii = {}, {}, [], []
    with open(path) as f:
        header = f.readline().strip().split(",")
        cu, ci = header.index("user"), header.index("item")
        for line in f:
            fields = line.rstrip("\n").split(",")
            ui.append(users.setdefault(fields[cu], len(users)))
            ii.append(items.setdefault(fields[ci], len(items)))
    x = sp.csr_matrix((np.ones(len(ui), dtype=np.float32), (ui, ii)), shape=(len(users), len(items)))
    x.data[:] = 1  # binary, duplicates collapsed
    return x


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kernel", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--factors", type=int, default=64)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--regularization", type=float, default=0.05)
    p.add_argument("--alpha", type=float, default=1.0)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    x = load(a.data)
    out = {"kernel": a.kernel}

    if a.kernel in ("als", "cosine", "topn"):
        import implicit
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.nearest_neighbours import CosineRecommender
        out["peer"] = f"implicit {implicit.__version__}"
        blas = 1  # implicit's recommendation: BLAS single-threaded, its own threads
        if a.kernel == "als":
            def run():
                m = AlternatingLeastSquares(factors=a.factors, iterations=a.iterations, regularization=a.regularization,
                                            alpha=a.alpha, num_threads=a.threads, random_state=a.seed,
                                            calculate_training_loss=False)
                m.fit(x, show_progress=False)
        elif a.kernel == "cosine":
            def run():
                CosineRecommender(K=a.k, num_threads=a.threads).fit(x, show_progress=False)
        else:
            with threadpool_limits(1, "blas"):
                model = AlternatingLeastSquares(factors=a.factors, iterations=a.iterations, regularization=a.regularization,
                                                num_threads=a.threads, random_state=a.seed)
                model.fit(x, show_progress=False)
            users = np.arange(x.shape[0])
            def run():
                model.recommend(users, x, N=10, filter_already_liked_items=True)
    else:
        import sklearn
        from sklearn.decomposition import NMF
        from sklearn.utils.extmath import randomized_svd
        out["peer"] = f"scikit-learn {sklearn.__version__}"
        blas = a.threads
        if a.kernel == "svd":
            def run():
                _, s, _ = randomized_svd(x, a.factors, random_state=a.seed)
                out["singular_values"] = [float(v) for v in s]
        else:
            solver = a.kernel.split("-")[1]
            def run():
                m = NMF(n_components=a.factors, solver=solver, max_iter=a.iterations, tol=0, random_state=a.seed)
                w = m.fit_transform(x)
                out["loss"] = float(m.reconstruction_err_)

    times = []
    with threadpool_limits(blas, "blas"):
        import warnings
        warnings.simplefilter("ignore")
        for r in range(a.repeats + 1):
            t = time.perf_counter()
            run()
            if r > 0:
                times.append(time.perf_counter() - t)
    out["times"] = times
    out["median_seconds"] = statistics.median(times)
    if a.kernel in ("als", "nmf-mu", "nmf-cd"):
        out["per_iteration_seconds"] = out["median_seconds"] / a.iterations
    out["blas"] = [(i.get("internal_api"), i.get("version"), i.get("architecture")) for i in threadpool_info_safe()]
    print(json.dumps(out))


def threadpool_info_safe():
    from threadpoolctl import threadpool_info
    return [i for i in threadpool_info() if i.get("user_api") == "blas"]


if __name__ == "__main__":
    main()
