#!/usr/bin/env bash
# Copies axe-core (the accessibility checker the end-to-end tests run in each page) into
# tests/e2e/vendor/: axe.min.js and its licence. Both are committed, so the tests need
# neither npm nor a network; only updating axe-core does.
#
#   bash web/vendor-src/axe.sh
#
# axe-core is MPL-2.0 and a test-only tool: it goes beside the tests, never into web/
# (which the server serves to everyone), and the tests inject it into the page they
# check (docs/design.md, "Test-only tools"). package-lock.json pins its version.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/../../tests/e2e/vendor"
cd "$here"

trap 'rm -rf "$here/node_modules"' EXIT

npm ci --ignore-scripts --no-audit --no-fund

mkdir -p "$out"
cp node_modules/axe-core/axe.min.js "$out/axe.min.js"
cp node_modules/axe-core/LICENSE "$out/axe-core.LICENSE.txt"
version="$(node -p 'require("./node_modules/axe-core/package.json").version')"
printf 'axe-core %s (MPL-2.0), copied unmodified by web/vendor-src/axe.sh. Source: the axe-core package of that version, or https://github.com/dequelabs/axe-core.\n' "$version" >"$out/README.txt"
