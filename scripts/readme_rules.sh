#!/usr/bin/env bash
# Regenerates the rule table in README.md from the rule pack (tests/it/docs_match_code.rs checks it).
set -euo pipefail
cd "$(dirname "$0")/.."
table=$(cargo run -q -- rules --format md)
python3 - "$table" <<'PY'
import sys
p = "README.md"
s = open(p).read()
a = "<!-- rules:start (generated from the rule pack; a test keeps it in step) -->\n"
b = "<!-- rules:end -->"
i, j = s.index(a) + len(a), s.index(b)
open(p, "w").write(s[:i] + sys.argv[1] + "\n" + s[j:])
PY
