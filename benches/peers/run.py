"""xaudit against the pipeline a data engineer would write instead, stage by stage, on one machine.

The peer: Python parsing the raw exports into Parquet (ingest.py), DuckDB SQL for six behavioural
rules (rules.py, sql/), datasketch MinHashLSH for near-duplicates (near_dup.py). Both sides run
as separate processes on the same `xaudit gen` population, interleaved (peer first in odd runs,
xaudit first in even ones); each figure is the median of the runs' wall times and peak memory
(the summed RSS of the process and its children, sampled every 20 ms). Every time is a whole
process, start to exit: reading the data and the program's start-up are part of it on both sides.

    pip install -r benches/peers/requirements.txt
    cargo build --release
    python3 benches/peers/run.py --scale 1m            # ~1M events, 3 runs: about 10 minutes
    python3 benches/peers/run.py --scale 10m --runs 1  # ~9M events

The population (`xaudit gen --seed 42 --days 110 --posts-per-day 30 --likes-per-day 30`, 100 or
1,000 accounts: about 1M or 10M events) and a store ingested
from it are made once under --work and reused. The agreement table says, per rule, which of the
accounts the generator planted a violation on each side flags, and whether both flag the same
accounts.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BEHAVIOURAL = ["mass_follow", "follow_churn", "automated_likes", "bulk_reposts", "unsolicited_dm", "unsolicited_reply"]
SCALES = {"1m": 100, "10m": 1000}
STAGES = ["ingest", "near_dup", "behavioural", "end_to_end"]
STAGE_NAMES = {
    "ingest": "ingest raw exports → Parquet",
    "near_dup": "near-duplicates (duplicate_posts)",
    "behavioural": "six behavioural rules",
    "end_to_end": "end to end, export → flagged accounts, seven rules",
}


def children_of(pid):
    """pid and every process below it, from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, p in parents.items():
            if p == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return tree


def rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            pass
    return total


def measure(cmd, ok_codes=(0,)):
    """Runs cmd; returns (seconds, peak MiB of the process tree)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak, done = [0], threading.Event()

    def sample():
        tree = {proc.pid}
        for tick in range(10**9):
            if done.is_set():
                return
            if tick % 25 == 0:
                tree = children_of(proc.pid)
            peak[0] = max(peak[0], rss_kib(tree))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode not in ok_codes:
        sys.exit(f"{' '.join(cmd)} exited with {proc.returncode}:\n{err}")
    return seconds, peak[0] / 1024


def chain(steps):
    """Runs the steps one after the other: total time, largest peak."""
    results = [measure(s) for s in steps]
    return sum(r[0] for r in results), max(r[1] for r in results)


def prepare(args, work):
    pop, store = os.path.join(work, "population"), os.path.join(work, "store")
    if not os.path.exists(os.path.join(pop, "labels.json")):
        print(f"generating the population in {pop} …", file=sys.stderr)
        subprocess.run([args.xaudit, "gen", "--accounts", str(SCALES[args.scale]), "--days", "110", "--seed", "42",
                        "--posts-per-day", "30", "--likes-per-day", "30", "--out", pop], check=True, stdout=subprocess.DEVNULL)
    inputs = [os.path.join(pop, d) for d in ("archives", "webhooks", "logs")]
    if not os.path.exists(os.path.join(store, "events")):
        print(f"ingesting it into {store} …", file=sys.stderr)
        subprocess.run([args.xaudit, "ingest", "--store", store, *inputs], check=True, stdout=subprocess.DEVNULL)
    return pop, store, inputs


def flagged_by_xaudit(report):
    with open(report) as f:
        accounts = json.load(f)["accounts"]
    flagged = {}
    for a in accounts:
        for finding in a.get("findings", []):
            flagged.setdefault(finding["rule"], set()).add(a["account_id"])
    return flagged


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", choices=SCALES, default="1m")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--stages", help=f"comma-separated, of {','.join(STAGES)} (default: all at 1m; at 10m "
                   "ingest,behavioural: datasketch keeps about 7 KiB per distinct text, some 30 GiB there)")
    p.add_argument("--xaudit", default=os.path.join(ROOT, "target", "release", "xaudit"))
    p.add_argument("--work", default=os.path.join(ROOT, "target", "bench-data", "peers"))
    args = p.parse_args()
    if not os.access(args.xaudit, os.X_OK):
        sys.exit(f"{args.xaudit} not found: build it first with `cargo build --release` (or pass --xaudit)")
    work = os.path.join(args.work, args.scale)
    os.makedirs(work, exist_ok=True)
    pop, store, inputs = prepare(args, work)
    py = sys.executable
    scratch = tempfile.mkdtemp(dir=work)
    out = lambda name: os.path.join(scratch, name)  # noqa: E731
    seven = ",".join(BEHAVIOURAL + ["duplicate_posts"])
    audit = [args.xaudit, "audit", "--format", "json", "--fail-on", "never"]

    def fresh(path):
        shutil.rmtree(path, ignore_errors=True)
        return path

    sides = {
        "ingest": (
            lambda: measure([py, f"{HERE}/ingest.py", pop, fresh(out("peer-parquet"))]),
            lambda: measure([args.xaudit, "ingest", "--store", fresh(out("xaudit-store")), *inputs]),
        ),
        "near_dup": (
            lambda: measure([py, f"{HERE}/near_dup.py", "--store", store, "--out", out("peer-near-dup.json")]),
            lambda: measure([*audit, "--store", store, "--select", "duplicate_posts", "--out", out("xaudit-near-dup.json")]),
        ),
        "behavioural": (
            lambda: measure([py, f"{HERE}/rules.py", "--store", store, "--out", out("peer-rules.json")]),
            lambda: measure([*audit, "--store", store, "--select", ",".join(BEHAVIOURAL), "--out", out("xaudit-rules.json")]),
        ),
        "end_to_end": (
            lambda: chain([
                [py, f"{HERE}/ingest.py", pop, fresh(out("peer-e2e"))],
                [py, f"{HERE}/rules.py", "--parquet", out("peer-e2e"), "--out", out("peer-e2e-rules.json")],
                [py, f"{HERE}/near_dup.py", "--parquet", out("peer-e2e"), "--out", out("peer-e2e-near-dup.json")],
            ]),
            lambda: measure([*audit, *inputs, "--select", seven, "--out", out("xaudit-e2e.json")]),
        ),
    }
    stages = (args.stages or ",".join(STAGES if args.scale == "1m" else ["ingest", "behavioural"])).split(",")
    if unknown := set(stages) - set(STAGES):
        sys.exit(f"unknown stage {', '.join(sorted(unknown))}: the stages are {', '.join(STAGES)}")
    times = {s: ([], []) for s in stages}
    for run in range(args.runs):
        for stage in stages:
            order = [0, 1] if run % 2 == 0 else [1, 0]
            for side in order:
                seconds, mib = sides[stage][side]()
                times[stage][side].append((seconds, mib))
                who = ("peer", "xaudit")[side]
                print(f"run {run + 1}/{args.runs} {stage:12} {who:7} {seconds:7.2f} s {mib:8.0f} MiB", file=sys.stderr)

    def fmt(samples):
        s = statistics.median(t for t, _ in samples)
        m = statistics.median(m for _, m in samples)
        return s, (f"{s:.2f} s, {m / 1024:.2f} GiB" if m >= 1024 else f"{s:.2f} s, {m:.0f} MiB")

    print(f"\n{args.scale} population: {pop} ({json.load(open(os.path.join(pop, 'labels.json')))['events']:,} events), "
          f"medians of {args.runs} interleaved runs\n")
    print("| stage | scale | peer | xaudit | peer ÷ xaudit |\n| --- | --- | --- | --- | --- |")
    for stage in stages:
        (ps, ptext), (xs, xtext) = fmt(times[stage][0]), fmt(times[stage][1])
        print(f"| {STAGE_NAMES[stage]} | {args.scale} | {ptext} | {xtext} | {ps / xs:.2f}× |")
    agreement(pop, scratch, stages)
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump({"scale": args.scale, "runs": args.runs, "times": times}, f, indent=1)
    shutil.rmtree(scratch)


def agreement(pop, scratch, stages):
    with open(os.path.join(pop, "labels.json")) as f:
        labels = json.load(f)["accounts"]
    pairs = []
    if "behavioural" in stages:
        pairs.append(("peer-rules.json", "xaudit-rules.json"))
    if "near_dup" in stages:
        pairs.append(("peer-near-dup.json", "xaudit-near-dup.json"))
    if not pairs:
        return
    print("\n| rule | planted | xaudit flags (planted) | peer flags (planted) | same accounts |\n| --- | --- | --- | --- | --- |")
    for peer_file, xaudit_file in pairs:
        with open(os.path.join(scratch, peer_file)) as f:
            peer = {rule: set(accounts) for rule, accounts in json.load(f).items()}
        ours = flagged_by_xaudit(os.path.join(scratch, xaudit_file))
        for rule in peer:
            planted = {a["account_id"] for a in labels if rule in a["violations"]}
            x, q = ours.get(rule, set()), peer[rule]
            print(f"| {rule} | {len(planted)} | {len(x)} ({len(x & planted)}) | {len(q)} ({len(q & planted)}) | "
                  f"{'yes' if x == q else f'no: {len(x - q)} only xaudit, {len(q - x)} only peer'} |")


if __name__ == "__main__":
    main()
