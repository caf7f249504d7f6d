#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and the demo need, when
# they are missing. As root directly, otherwise through sudo.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libncurses-dev libpq-dev libconfuse-dev libcurl4-openssl-dev libjansson-dev libssl-dev
  libcmocka-dev
  clang libclang-rt-14-dev
  postgresql postgresql-client
  tmux
  iproute2
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing packages: ${missing[*]}"
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
# The postgresql package starts a system-wide cluster; nothing here uses it
# (tests and the demo make their own), so do not let the install start services.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 0755 "$policy"
  added_policy=1
fi
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
[ "$added_policy" -eq 0 ] || "${sudo[@]}" rm -f "$policy"
