#!/usr/bin/env bash
# Runs every test of SubsidyEngine and closes with one line: "N passed, N failed, N skipped".
# The tests start what they need themselves (a private PostgreSQL cluster, an SMTP server, Chromium);
# missing Debian packages are installed first when running as root.
set -uo pipefail
cd "$(dirname "$0")"

bash scripts/install-prerequisites.sh || exit 1

if [ "${CI:-}" = "true" ]; then
  export SNAPSHOOTER_STRICT_MODE=true   # a missing approved snapshot fails instead of being written
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

results=TestResults
rm -rf "$results"
# -m:1: one test assembly at a time. On 2 cores the suites (a PostgreSQL cluster each, Chromium, SMTP) starve
# each other when run in parallel and the browser tests time out.
dotnet test SubsidyEngine.sln -m:1 --nologo -v q --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@"
status=$?

passed=0; failed=0; total=0; executed=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { printf '%s' "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed))); failed=$((failed + $(get failed)))
  total=$((total + $(get total))); executed=$((executed + $(get executed)))
done
skipped=$((total - executed))

echo "$passed passed, $failed failed, $skipped skipped"
if [ $status -ne 0 ] || [ $failed -ne 0 ] || [ $passed -eq 0 ]; then
  exit 1
fi
