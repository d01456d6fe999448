#!/usr/bin/env bash
# Makes sure the Debian programs the tests use (scripts/system-deps.txt) are installed. As root it installs the
# missing ones with apt-get (apt-get update first); as anyone else it stops with the command to run. A missing
# program never makes a test skip silently: this script fails instead.
set -euo pipefail
list="$(dirname "$0")/system-deps.txt"
missing=()
while read -r cmd pkgs; do
  case "$cmd" in '' | '#'*) continue ;; esac
  command -v "$cmd" >/dev/null 2>&1 || missing+=($pkgs)
done <"$list"
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: missing Debian packages: ${missing[*]}" >&2
  echo "system-deps: install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
