"""The peer's near-duplicate rule: datasketch MinHashLSH, as duplicate_posts defines it.

Posts, replies and quotes (not reposts) are normalized (HTML-unescaped, NFKC, case-folded, URLs
and @mentions removed, `#` dropped, punctuation removed); texts of fewer than 3 words are skipped.
Identical texts are hashed once. Each distinct text gets a 128-permutation MinHash of its word
3-shingles (character 5-grams under 6 words); MinHashLSH at Jaccard 0.8 gives candidates, which
the exact Jaccard confirms; union-find joins them into clusters. An account is flagged when 3 or
more of its own posts of one cluster fall within 30 days.

    python3 benches/peers/near_dup.py (--store STORE | --parquet DIR) --out FLAGGED.json
"""

import argparse
import html
import json
import re
import sys
import time
import unicodedata
from collections import defaultdict

import duckdb
from datasketch import MinHash, MinHashLSH

from rules import events_view, source_args

URL = re.compile(r"https?://\S+|www\.\S+")
MENTION = re.compile(r"@\w+")
NOT_WORD = re.compile(r"[^\w\s]|_")
THIRTY_DAYS_US = 30 * 86400 * 1_000_000


def normalize(text):
    text = unicodedata.normalize("NFKC", html.unescape(text))
    text = MENTION.sub(" ", URL.sub(" ", text)).replace("#", "")
    text = text.replace("İ", "i").replace("I", "i").replace("ı", "i").casefold()
    return " ".join(NOT_WORD.sub(" ", text).split())


def shingles(words):
    if len(words) < 6:
        joined = " ".join(words)
        return {joined[i : i + 5] for i in range(max(1, len(joined) - 4))}
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def find(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source_args(p)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    start = time.perf_counter()
    con = duckdb.connect()
    events_view(con, args)
    posts = con.sql(
        "SELECT account_id, epoch_us(ts), text FROM events WHERE kind IN ('post', 'reply', 'quote') AND text IS NOT NULL"
    ).fetchall()
    text_ids, sets, post_rows = {}, [], []
    for account, ts, text in posts:
        words = normalize(text).split()
        if len(words) < 3:
            continue
        key = " ".join(words)
        tid = text_ids.get(key)
        if tid is None:
            tid = text_ids[key] = len(sets)
            sets.append(shingles(words))
        post_rows.append((account, ts, tid))
    hashes = MinHash.bulk([[s.encode() for s in shingle_set] for shingle_set in sets], num_perm=128)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    with lsh.insertion_session() as session:
        for tid, h in enumerate(hashes):
            session.insert(tid, h)
    parent = list(range(len(sets)))
    for tid, h in enumerate(hashes):
        for other in lsh.query(h):
            if other > tid:
                a, b = sets[tid], sets[other]
                if len(a & b) >= 0.8 * len(a | b):
                    parent[find(parent, tid)] = find(parent, other)
    clusters = defaultdict(list)
    for account, ts, tid in post_rows:
        clusters[(account, find(parent, tid))].append(ts)
    flagged = set()
    for (account, _), times in clusters.items():
        if len(times) >= 3 and account not in flagged:
            times.sort()
            if any(times[i + 2] - times[i] <= THIRTY_DAYS_US for i in range(len(times) - 2)):
                flagged.add(account)
    print(f"duplicate_posts: {len(flagged)} accounts from {len(post_rows)} posts, {len(sets)} distinct texts, "
          f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
    with open(args.out, "w") as f:
        json.dump({"duplicate_posts": sorted(flagged)}, f, indent=1)


if __name__ == "__main__":
    main()
