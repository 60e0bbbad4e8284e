#!/usr/bin/env bash
# Runs the whole test suite the way CI does. Integration tests need a real Prosody (Gateway.Tests/Integration/
# Prosody starts a private instance per run); this script installs it when missing instead of letting tests skip.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_missing_packages() {
  local missing=()
  command -v prosody >/dev/null 2>&1 && command -v prosodyctl >/dev/null 2>&1 || missing+=(prosody)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  [ "${#missing[@]}" -eq 0 ] && return 0

  echo "test.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The prosody package starts its system service on install (ports 5222/5269/5280). Tests never use it:
  # policy-rc.d exit 101 tells invoke-rc.d / deb-systemd-invoke not to start services during the install.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    created_policy=1
  fi
  local rc=0
  { as_root apt-get update -q && as_root apt-get install -y -q "${missing[@]}"; } || rc=$?
  [ "$created_policy" -eq 1 ] && as_root rm -f "$policy"
  [ "$rc" -eq 0 ] || { echo "test.sh: apt-get failed ($rc)" >&2; exit "$rc"; }
  # In case a service manager started it anyway.
  as_root service prosody stop >/dev/null 2>&1 || true
}

install_missing_packages
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
