#!/usr/bin/env bash
# Builds web/vendor/coediting.js (one ES module: Yjs, its awareness protocol and the
# TipTap rich-text editor of entry.js) and web/vendor/LICENSES.txt (the licence of every
# package whose code is in it). Both are committed: serving and testing Concord needs
# neither npm nor a network, only rebuilding does.
#
#   bash web/vendor-src/build.sh
#
# npm ci installs exactly the versions in package-lock.json (package.json pins each
# dependency to one version); install scripts are not run (esbuild works without its
# optional postinstall step).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/../vendor"
cd "$here"

# node_modules goes again when the build ends, failed or not: web/ is served as it is and
# goes whole into the wheel (pyproject.toml), and neither should carry 40 MB of packages.
metafile="$(mktemp)"
trap 'rm -rf "$here/node_modules" "$metafile"' EXIT

npm ci --ignore-scripts --no-audit --no-fund

mkdir -p "$out"

./node_modules/.bin/esbuild entry.js \
  --bundle \
  --format=esm \
  --platform=browser \
  --target=es2022 \
  --minify \
  --legal-comments=none \
  --banner:js="// Concord's co-editing libraries, built by web/vendor-src/build.sh from entry.js. Licences: LICENSES.txt beside this file." \
  --metafile="$metafile" \
  --outfile="$out/coediting.js"

node licences.mjs "$metafile" "$out/LICENSES.txt"
