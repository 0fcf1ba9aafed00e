#!/usr/bin/env bash
# Temporary curation-sprint check: merge raw/ and every curation part, then validate the result.
set -u
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/cyberdip-check.XXXXXX)
.venv/bin/python curation/merge.py "$out" >/dev/null && .venv/bin/cyberdip validate --raw "$out" --max-errors 300
echo "(merged tables in $out)"
