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
		# The fuzzing engine itself can fail at the end of a short run on a
		# busy machine ("context deadline exceeded", no input found): such
		# a run is tried once more. A real crash names its failing input.
		for try in 1 2; do
			out=$(cd "$pkg" && go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" . 2>&1) && { echo "$out" | tail -3; break; }
			echo "$out"
			if [ "$try" = 1 ] && ! grep -q 'Failing input written' <<<"$out" && grep -q 'context deadline exceeded' <<<"$out"; then
				echo "== $t: the engine timed out without an input; once more"
				continue
			fi
			status=1
			break
		done
	done
done
exit $status
