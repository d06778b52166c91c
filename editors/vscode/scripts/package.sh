#!/usr/bin/env bash
# Builds the .vsix: bundles the extension with esbuild and puts a heddle-ls binary, built from
# this repository, inside it (server/heddle-ls), as a platform-specific package.
#
#   scripts/package.sh [--target linux-x64|linux-arm64] [--out FILE]
#
# heddle-ls is Linux-only (/proc, SO_PEERCRED, pidfds), so those are the only targets.
#
# Prints the path of the .vsix on stdout (everything else goes to stderr).
# Needs: Go (from go.mod) and node_modules (scripts/provision.sh or `npm ci`).
set -euo pipefail
EXT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$EXT/../.." && pwd)
TARGET=linux-x64
OUT=
while [ $# -gt 0 ]; do
  case "$1" in
    --target) TARGET=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "usage: $0 [--target T] [--out FILE]" >&2; exit 2 ;;
  esac
done
case "$TARGET" in
  linux-x64) GOOS=linux GOARCH=amd64 ;;
  linux-arm64) GOOS=linux GOARCH=arm64 ;;
  *) echo "unsupported target $TARGET (heddle-ls runs on Linux: linux-x64, linux-arm64)" >&2; exit 2 ;;
esac
VERSION=$(node -p "require('$EXT/package.json').version")
OUT=${OUT:-$EXT/heddle-$TARGET-$VERSION.vsix}

cd "$EXT"
[ -d node_modules ] || npm ci --no-audit --no-fund >&2

echo "[package] go build heddle-ls for $GOOS/$GOARCH" >&2
rm -rf server && mkdir -p server
(cd "$REPO" && CGO_ENABLED=0 GOOS=$GOOS GOARCH=$GOARCH go build -trimpath -ldflags='-s -w' \
  -o "$EXT/server/heddle-ls" ./cmd/heddle-ls)

echo "[package] typecheck + bundle" >&2
npx --no-install tsc -p . --noEmit >&2
rm -rf out && node scripts/build.mjs --production >&2

echo "[package] vsce package --target $TARGET" >&2
# The bundle holds every runtime dependency, so node_modules stays out (--no-dependencies).
# vsce makes the README's relative links absolute from repository.url, ignoring
# repository.directory: give it the extension directory's URLs, or images and links break in
# the Marketplace and the Extensions view.
BASE=https://github.com/heddle-ls/heddle-ls
npx --no-install vsce package --no-dependencies --target "$TARGET" --out "$OUT" \
  --baseContentUrl "$BASE/blob/main/editors/vscode/" --baseImagesUrl "$BASE/raw/main/editors/vscode/" >&2
# Guard against an ignore rule that drops the server or the bundle.
listing=$(npx --no-install vsce ls --no-dependencies 2>/dev/null || true)
for f in server/heddle-ls out/main.js package.json images/icon.png; do
  grep -qx "$f" <<<"$listing" || { echo "[package] $f missing from the package" >&2; exit 1; }
done
# ...and against a README link that stayed relative (it would break once installed).
python3 - "$OUT" <<'PY' >&2
import re, sys, zipfile
readme = zipfile.ZipFile(sys.argv[1]).read('extension/readme.md').decode()
bad = [m for m in re.findall(r'\]\(([^)\s]+)', readme) if not re.match(r'(https?|command|mailto):|#', m)]
if bad:
    sys.exit(f'[package] relative links left in the packaged README: {bad}')
PY
echo "$OUT"
