#!/usr/bin/env bash
# Installs the Debian packages the tests need, if any are missing (as root,
# or through sudo): protoc and its well-known types for the generated-code
# check, Neovim and tmux for the Neovim plugin's tests, zsh and strace for
# the status-bar tests, and the basics. The VS Code end-to-end test
# provisions its own (editors/vscode/scripts/provision.sh: chromium,
# Node 24 and code-server from npm). Idempotent and quick when all is there.
set -euo pipefail
pkgs=(protobuf-compiler libprotobuf-dev neovim tmux zsh strace git make ca-certificates procps)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "[test-deps] Debian packages present" >&2
  exit 0
fi
sudo=(); [ "$(id -u)" -ne 0 ] && sudo=(sudo)
echo "[test-deps] apt-get install ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
