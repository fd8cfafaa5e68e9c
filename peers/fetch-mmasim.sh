#!/usr/bin/env bash
# Put microsoft/MMA-Sim's `mmasim` package under peers/.mmasim (git-ignored; its code is never
# committed here). Pass a local clone or mirror as $1; without one it clones from GitHub.
set -euo pipefail
cd "$(dirname "$0")"
src=${1:-}
rm -rf .mmasim && mkdir -p .mmasim
if [ -z "$src" ]; then
    git clone --depth 1 https://github.com/microsoft/MMA-Sim .mmasim/repo
    src=.mmasim/repo
fi
git -C "$src" archive HEAD mmasim | tar -x -C .mmasim
git -C "$src" rev-parse HEAD > .mmasim/COMMIT
echo "MMA-Sim $(cat .mmasim/COMMIT) in peers/.mmasim"
