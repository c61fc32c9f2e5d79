#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# clean-clone.sh — do what CI does, locally: clone the committed HEAD (not the work tree) into
# a temporary directory and run .ci/run there, so an uncommitted file or a stale build/ cannot
# make a run pass that CI would fail. The VM kernel cache (~/.cache/kakunin-bpf) is shared.
#   ci/clean-clone.sh [REF]      (default: HEAD)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ref=${1:-HEAD}
dir=$(mktemp -d /tmp/kakunin-ci.XXXXXX)
trap 'rm -rf "$dir"' EXIT
git -C "$top" worktree add --detach "$dir/src" "$ref" >/dev/null 2>&1 ||
	git clone -q "$top" "$dir/src"
cleanup() { git -C "$top" worktree remove --force "$dir/src" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
echo "ci: running .ci/run on $(git -C "$dir/src" rev-parse --short HEAD) in $dir/src" >&2
"$dir/src/.ci/run"
