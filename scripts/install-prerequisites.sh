#!/usr/bin/env bash
# Installs the Debian packages the service and its tests need, each only when it is absent.
# Safe to run repeatedly; does nothing (and needs no network) when everything is there.
set -euo pipefail

# command-or-file to test  ->  Debian package that provides it
declare -A needs=(
  [/usr/lib/postgresql]=postgresql          # embedded default and the test cluster
  [/usr/bin/chromium]=chromium              # PDF letters and browser tests
  [/usr/lib/python3/dist-packages/aiosmtpd]=python3-aiosmtpd   # the real SMTP server of the mail tests
  [/usr/bin/qpdf]=qpdf                      # PDF structure checks
  [/usr/bin/pdftotext]=poppler-utils        # PDF text checks
  [/usr/bin/pg_autoctl]=pg-auto-failover-cli                                # high availability test (pg_auto_failover)
  [/usr/lib/postgresql/15/lib/pgautofailover.so]=postgresql-15-auto-failover   # its monitor extension
  [/usr/sbin/haproxy]=haproxy                                                # high availability test (load balancer)
)

missing=()
for path in "${!needs[@]}"; do
  [ -e "$path" ] || missing+=("${needs[$path]}")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "Installing missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
