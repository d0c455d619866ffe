#!/usr/bin/env bash
# Runs every benchmark scenario (each as its own process, against its own durable PostgreSQL cluster) and rewrites
# the generated table of docs/benchmarks.md. `./bench.sh --quick` takes under 5 minutes; `./bench.sh` the full runs.
# Other options: --no-doc (print only), --only fires,http (a subset).
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/install-prerequisites.sh || exit 1   # chromium (letters), aiosmtpd (dispatch, faults), ...
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release bench --nologo -v q   # also builds the Release service (src/Api) that http and startup run
exec dotnet bench/bin/Release/net10.0/SubsidyEngine.Bench.dll all "$@"
