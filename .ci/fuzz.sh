#!/usr/bin/env bash
# Runs every fuzz target of the module for a short time, one at a time:
#   .ci/fuzz.sh            each target for 5s
#   FUZZTIME=10m .ci/fuzz.sh FuzzParse227   one target for 10 minutes
# A crash fails the script; go test then leaves the crashing input in the
# package's testdata/fuzz/<Target>/, to be kept as a regression seed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
fuzztime="${FUZZTIME:-5s}"
only="${1:-}"
status=0
for pkg in $(go list -f '{{.Dir}}' ./...); do
	targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$pkg"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
	for t in $targets; do
		if [ -n "$only" ] && [ "$t" != "$only" ]; then
			continue
		fi
		echo "== $t ($pkg, $fuzztime)"
		if ! (cd "$pkg" && go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" .); then
			status=1
		fi
	done
done
exit $status
