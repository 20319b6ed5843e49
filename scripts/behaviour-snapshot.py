#!/usr/bin/env python3
"""Records or checks rectrain's observable behaviour, timing aside (issue 16: a redesign must
not change what the engine computes).

  scripts/behaviour-snapshot.py record BIN   write Tests/Fixtures/behaviour/*
  scripts/behaviour-snapshot.py check BIN    compare against them; exit 1 on any difference

What it covers:
- `rectrain pipeline --seed 42` at the default scale: a SHA-256 of every output file, with the
  timing columns (fit and recommend seconds) removed from the comparison CSV, the executive
  summary and the HTML dashboard's table;
- `rectrain evaluate --json` for every ranking model on the shared ML-100K top-N split and every
  rating model on the five rating folds, every key but the `*_seconds` ones.
The ML-100K part needs ../shared/data (never copied into the repository); without it, it is
skipped with a notice.
"""
import hashlib, json, os, re, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "behaviour")
SHARED = os.path.join(ROOT, "..", "shared", "data")
RANKING = ["popular", "itemknn", "userknn", "content", "svd", "nmf", "als", "ease", "session", "hybrid"]
RATING = ["als-explicit", "knn-baseline", "blend"]


def normalised(name, data):
    """The file's bytes without its timing columns."""
    if not name.endswith((".csv", ".txt", ".html")):
        return data
    text = data.decode("utf-8")
    if name == "model_performance_comparison.csv":
        rows = [line.split(",") for line in text.splitlines()]
        keep = [i for i, h in enumerate(rows[0]) if not h.endswith("_seconds")] if rows else []
        text = "\n".join(",".join(r[i] for i in keep if i < len(r)) for r in rows)
    else:
        # The summary (also inside the HTML): model rows are a name and seven numbers, the last
        # two fit and recommend seconds; the run's own time closes its header line.
        lines = []
        for line in text.splitlines():
            line = re.sub(r"^(\S+(?:\s+-?[0-9.]+){5})(?:\s+-?[0-9.]+){2}$", r"\1", line)
            lines.append(re.sub(r"^(rectrain pipeline, seed \d+, \d+ threads), [0-9.]+ s$", r"\1", line))
        text = "\n".join(lines)
        # The HTML table's rows of twelve cells end with the two timings.
        text = re.sub(r"(<tr><td>[^<]*</td>(?:<td>[^<]*</td>){9})(?:<td>[^<]*</td>){2}</tr>", r"\1</tr>", text)
    return text.encode("utf-8")


def pipeline(binary):
    out = tempfile.mkdtemp(prefix="behaviour-pipeline-")
    subprocess.run([binary, "pipeline", "--out", out, "--seed", "42", "--quiet"], check=True, stdout=subprocess.DEVNULL)
    hashes = {}
    for folder, _, files in os.walk(out):
        for f in files:
            path = os.path.join(folder, f)
            rel = os.path.relpath(path, out)
            hashes[rel] = hashlib.sha256(normalised(f, open(path, "rb").read())).hexdigest()
    return dict(sorted(hashes.items()))


def evaluations(binary):
    split = os.path.join(SHARED, "splits", "ml100k")
    items = os.path.join(SHARED, "ml-100k", "u.item")
    if not os.path.isdir(split):
        print("notice: ../shared/data absent, ML-100K evaluations skipped", file=sys.stderr)
        return None
    def run(args):
        result = subprocess.run([binary, "evaluate", "--json"] + args, check=True, capture_output=True, text=True)
        return {k: v for k, v in json.loads(result.stdout).items() if not k.endswith("_seconds")}
    out = {}
    for m in RANKING:
        extra = ["--items", items] if m in ("content", "hybrid") else []
        out["topn/" + m] = run(["--train", f"{split}/topn_train.csv", "--test", f"{split}/topn_test.csv", "--model", m] + extra)
    for m in RATING:
        for f in range(1, 6):
            out[f"rating/{m}/fold{f}"] = run(["--train", f"{split}/rating_fold{f}_train.csv",
                                              "--test", f"{split}/rating_fold{f}_test.csv", "--task", "rating", "--model", m])
    return out


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("record", "check"):
        sys.exit(__doc__)
    mode, binary = sys.argv[1], os.path.abspath(sys.argv[2])
    snapshot = {"pipeline-seed42.json": pipeline(binary)}
    evaluated = evaluations(binary)
    if evaluated is not None:
        snapshot["evaluate-ml100k.json"] = evaluated
    differences = 0
    for name, value in snapshot.items():
        path = os.path.join(FIXTURES, name)
        if mode == "record":
            os.makedirs(FIXTURES, exist_ok=True)
            with open(path, "w") as f:
                json.dump(value, f, indent=1, sort_keys=True)
                f.write("\n")
            print(f"recorded {path}")
            continue
        expected = json.load(open(path))
        for key in sorted(set(expected) | set(value)):
            if expected.get(key) != value.get(key):
                differences += 1
                print(f"DIFFERENT {name} {key}: expected {expected.get(key)}, got {value.get(key)}")
    if mode == "check":
        print(f"behaviour: {len(snapshot)} snapshots, {differences} differences")
        sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
