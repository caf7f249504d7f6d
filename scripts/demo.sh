#!/usr/bin/env bash
# The one command that opens the demo: installs what is missing, builds, and
# runs the wizard's demo on a private PostgreSQL sandbox loaded with a Kong
# Enterprise 0.36 datastore (SPEC §7). Everything is removed on exit.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/deps.sh
bash scripts/build.sh "$top/build" >/dev/null
exec "$top/build/kong-upgrade-wizard" demo "$@"
