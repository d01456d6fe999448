#!/usr/bin/env bash
# The real check of the Mermaid output: render every built-in scenario's diagram, under every profile, with
# mermaid 11.17.x in Debian's Chromium driven by playwright-core, and fail on any parse or render error.
# Separate from `pnpm test` because installing Chromium is slow; run it with `pnpm --filter @sim/demo check:mermaid`
# (root on Debian: it installs chromium with apt-get when it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
[ -f dist/sim.js ] || (cd ../.. && npx -y pnpm@10.34.9 turbo run build --filter=@sim/demo... --output-logs=errors-only)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
npm install --no-save --no-audit --no-fund --prefix "$work" mermaid@11.17.2 playwright-core@1.65.1 >/dev/null
node scripts/check-mermaid.mjs "$work/node_modules" "${1:-}"
