#!/usr/bin/env bash
# What the tests drive beyond the Python environment, installed where it can be and reported
# otherwise (the tests that need a missing piece skip and say why):
# 1. system packages from Debian's archive, where root and apt-get exist;
# 2. the local base images and FerretDB (sdi_common.testing prepare): built once into the
#    cache (${SDI_CACHE:-~/.cache/sdi}); a second run finds them and takes a second.
set -uo pipefail

# command that must exist -> Debian package that provides it
declare -A NEEDED=(
  [chromium]=chromium              # browser tests (Playwright drives Debian's Chromium)
  [redis-server]=redis-server      # addok, the self-hosted address API, keeps its index in Redis
  [dockerd]=docker.io              # the tests' private Docker engine (images, containers)
  [debootstrap]=debootstrap        # the local Python base image (no registry answers here)
  [docker-registry]=docker-registry  # a local registry: deploy/release.py pushes and pins digests
)

missing=()
for cmd in "${!NEEDED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${NEEDED[$cmd]}")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test-deps: not root or no apt-get; missing ${missing[*]}: the tests needing them will be skipped"
  else
    echo "test-deps: installing ${missing[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
      echo "test-deps: could not install ${missing[*]}: the tests needing them will be skipped"
    fi
  fi
fi

# Go for FerretDB: on PATH, or where the official tarball installs it
command -v go >/dev/null 2>&1 || PATH="$PATH:/usr/local/go/bin"
if [ -x .venv/bin/python ]; then
  .venv/bin/python -m sdi_common.testing prepare \
    || echo "test-deps: some local images could not be built: the tests needing them will be skipped"
else
  echo "test-deps: no .venv (run make install): local images not prepared"
fi
exit 0
