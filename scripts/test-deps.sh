#!/usr/bin/env bash
# System packages the tests drive, from Debian's archive: installed where root and apt-get
# exist, reported otherwise (the tests that need a missing one skip and say why).
set -uo pipefail

# command that must exist -> Debian package that provides it
declare -A NEEDED=(
  [chromium]=chromium              # browser tests (Playwright drives Debian's Chromium)
  [redis-server]=redis-server      # addok, the self-hosted address API, keeps its index in Redis
)

missing=()
for cmd in "${!NEEDED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${NEEDED[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: not root or no apt-get; missing ${missing[*]}: the tests needing them will be skipped"
  exit 0
fi
echo "test-deps: installing ${missing[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
  echo "test-deps: could not install ${missing[*]}: the tests needing them will be skipped"
fi
exit 0
