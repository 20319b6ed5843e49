#!/usr/bin/env python3
"""Checks of distributed training against the single process (scripts/test-distributed.sh).

  factors SINGLE DIST TOL   SINGLE: `train --export-npy` folder; DIST: `train --distributed
                            --export-npy` folder (rank shards). Fails unless every factor differs
                            by at most TOL times the largest factor magnitude; prints the ratio.
  ndcg LISTS TEST [K]       nDCG@K (binary gain, log2 discount, ideal over min(K, |test|)) of
                            top-N lists (CSV user,rank,item,score; several files joined) on the
                            test CSV's users, as ../shared/data/README.md defines it.
Standard library only (no NumPy).
"""
import csv, glob, json, math, struct, sys


def read_npy(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", path
    major = data[6]
    hlen = struct.unpack("<H", data[8:10])[0] if major == 1 else struct.unpack("<I", data[8:12])[0]
    start = (10 if major == 1 else 12) + hlen
    header = data[(10 if major == 1 else 12):start].decode("latin1")
    assert "'<f4'" in header and "'fortran_order': False" in header, header
    shape = eval(header)["shape"]
    rows, cols = shape if len(shape) == 2 else (shape[0], 1)
    values = struct.unpack("<%df" % (rows * cols), data[start:start + 4 * rows * cols])
    return [list(values[r * cols:(r + 1) * cols]) for r in range(rows)]


def shards(folder, side):
    ranks = sorted(glob.glob(f"{folder}/{side}_factors.rank-*.npy"), key=lambda p: int(p.rsplit("-", 1)[1].split(".")[0]))
    rows = []
    for path in ranks:
        rows.extend(read_npy(path))
    return rows


def factors(single, dist, tol):
    worst = 0.0
    for side in ("user", "item"):
        a, b = read_npy(f"{single}/{side}_factors.npy"), shards(dist, side)
        if len(a) != len(b):
            sys.exit(f"{side} factors: {len(a)} rows in the single process, {len(b)} in the shards")
        scale = max(abs(x) for row in a for x in row) or 1.0
        diff = max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))
        worst = max(worst, diff / scale)
        print(f"{side} factors: max |difference| {diff:.3g} = {diff / scale:.3g} of the largest factor ({scale:.3g})")
    if worst > tol:
        sys.exit(f"FAIL: factors differ by {worst:.3g} of the largest factor, above the tolerance {tol}")


def ndcg(lists, test, k=10):
    recommended = {}
    for path in lists:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                recommended.setdefault(row["user"], []).append((int(row["rank"]), row["item"]))
    relevant = {}
    with open(test, newline="") as f:
        for row in csv.DictReader(f):
            relevant.setdefault(row["user"], set()).add(row["item"])
    total, users = 0.0, 0
    for user, items in relevant.items():
        if user not in recommended:
            continue
        ranked = [item for _, item in sorted(recommended[user])][:k]
        dcg = sum(1 / math.log2(i + 2) for i, item in enumerate(ranked) if item in items)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(items))))
        total += dcg / ideal
        users += 1
    print(f"{total / users:.6f}")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "factors":
        factors(args[0], args[1], float(args[2]))
    elif command == "ndcg":
        test = args[-1] if not args[-1].isdigit() else args[-2]
        k = int(args[-1]) if args[-1].isdigit() else 10
        ndcg([a for a in args if a != test and not a.isdigit()], test, k)
    else:
        sys.exit(__doc__)
