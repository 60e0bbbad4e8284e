#!/usr/bin/env bash
# Runs the whole test suite the way CI does. Integration tests need a real Prosody (Gateway.Tests/Integration/
# Prosody starts a private instance per run, Integration/Ejabberd a private ejabberd); this script installs them when
# missing instead of letting tests skip.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

# shellcheck source=scripts/lib/prerequisites.sh
source scripts/lib/prerequisites.sh

install_missing_packages --tests
command -v dotnet >/dev/null 2>&1 || { echo "test.sh: dotnet SDK not found on PATH" >&2; exit 127; }

# Gateway.Tests/js is a Node client of the SignalR hub that HubNodeClientTests runs; its packages come from the
# committed package-lock.json.
if [ ! -d Gateway.Tests/js/node_modules ]; then
  command -v npm >/dev/null 2>&1 || { echo "test.sh: npm not found on PATH (needed by Gateway.Tests/js)" >&2; exit 127; }
  (cd Gateway.Tests/js && npm ci --no-audit --no-fund)
fi

results="$root/TestResults/test.sh"
rm -rf "$results"

set +e
dotnet test Gateway.slnx -c Release \
  --logger "console;verbosity=minimal" \
  --logger "trx;LogFileName=results.trx" \
  --results-directory "$results"
status=$?
set -e

# Sum the counters of every TRX written (one per test project). TRX: <Counters total="…" passed="…" failed="…" …/>
passed=0
failed=0
trx_count=0
while IFS= read -r -d '' trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1 || true)
  [ -n "$counters" ] || continue
  trx_count=$((trx_count + 1))
  p=$(printf '%s' "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
  f=$(printf '%s' "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done < <(find "$results" -name '*.trx' -print0 2>/dev/null)

if [ "$trx_count" -eq 0 ]; then
  echo "test.sh: no test results (TRX) were written; see the build output above (exit code $status)"
fi
echo "$passed passed, $failed failed"
exit "$status"
