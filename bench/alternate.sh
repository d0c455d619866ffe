#!/usr/bin/env bash
# Runs bench scenarios alternating between Release builds in separate worktrees, one after the other, and logs each
# run's RESULT/PROCESS lines with the load average at its start (figures are compared pair by pair, never across
# sessions). Each worktree needs `dotnet build -c Release bench` first.
#
#   bench/alternate.sh <log> <rounds> "<scenario args>" <name>=<worktree> [<name>=<worktree> ...]
#   e.g. bench/alternate.sh /tmp/fires.log 2 "fires" old=/work/bench-old new=/work/bench-new
#        bench/alternate.sh /tmp/q.log 2 "letters --quick" old=/work/bench-old new=/work/bench-new
set -uo pipefail
log=$1 rounds=$2 scenario=$3; shift 3
for round in $(seq 1 "$rounds"); do
  for build in "$@"; do
    name=${build%%=*} dir=${build#*=}
    echo "### $(date -u +%H:%M:%S) round=$round build=$name $scenario load=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$log"
    # shellcheck disable=SC2086
    (cd "$dir" && timeout 900 dotnet bench/bin/Release/net10.0/SubsidyEngine.Bench.dll $scenario 2>&1 \
      | grep -E "^(RESULT|PROCESS)|us/letter|error" ) >> "$log"
  done
done
