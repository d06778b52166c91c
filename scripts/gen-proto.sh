#!/usr/bin/env bash
# Regenerates daemonlink/heddlev1 from proto/heddle/v1/*.proto and
# daemonlink/heddleapiv1alpha1 from proto/heddle/api/v1alpha1/*.proto.
#
# protoc comes from Debian's protobuf-compiler (3.21.12 on Debian 12); the two
# Go plugins are pinned as `tool` dependencies in go.mod, so the output is the
# same on every machine with that protoc. CI runs this and fails on any diff.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
go build -o "$bin/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc

# gen OUT_DIR PROTO_DIR: one Go package per proto package.
gen() {
  rm -f "$1"/*.pb.go
  mkdir -p "$1"
  protoc -I proto \
    --plugin=protoc-gen-go="$bin/protoc-gen-go" \
    --plugin=protoc-gen-go-grpc="$bin/protoc-gen-go-grpc" \
    --go_out=. --go_opt=module=github.com/heddle-ls/heddle-ls \
    --go-grpc_out=. --go-grpc_opt=module=github.com/heddle-ls/heddle-ls \
    "$2"/*.proto
}
gen daemonlink/heddlev1 proto/heddle/v1
gen daemonlink/heddleapiv1alpha1 proto/heddle/api/v1alpha1
