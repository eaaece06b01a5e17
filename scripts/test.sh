#!/usr/bin/env bash
# The whole suite: lint, types, build, real test hosts (installed/started when missing), all test tiers.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run lint
npm run typecheck
npm run build
bash scripts/test-setup.sh
bash scripts/test-setup-vps.sh
npx vitest run "$@"
