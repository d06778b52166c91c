# heddle-ls: the two commands of the README are `make demo` and `make test`.
GO ?= go
BIN := bin
# Static, cgo-free binaries: they run on any Linux, and skip cgo's runtime
# (about 2 MB less resident memory with 100 daemons watched). Only the
# builds: the race detector needs cgo.
BUILD := CGO_ENABLED=0 $(GO) build -trimpath

.PHONY: all build demo deps test test-go test-vscode test-nvim test-statusbar fuzz soak bench bench-quick proto proto-check vsix clean

all: build

build:
	$(BUILD) -o $(BIN)/heddle-ls ./cmd/heddle-ls
	$(BUILD) -o $(BIN)/heddle-sim ./cmd/heddle-sim

# The main job on the bundled daemon: heddle-sim in a temporary repo, then
# heddle-ls status, ops and a live watch across a daemon stop and start.
demo: build
	./scripts/demo.sh

# Every test: Go (race detector on), the VS Code extension (unit + real
# VS Code end to end), the Neovim plugin (headless + tmux, Neovim 0.7 and
# 0.11), the terminal status bars, bounded fuzzing, the 1,000-cycle soak and
# the benchmark harness in quick mode; a table of suites and times at the end.
test:
	./scripts/test.sh

# Debian packages the tests need (installed only if missing); test-vscode
# provisions its real VS Code itself.
deps:
	./scripts/test-deps.sh

test-go:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

test-vscode: build
	./editors/vscode/scripts/test.sh

test-nvim: build
	./editors/nvim/test/run.sh

test-statusbar: build
	./contrib/statusbar/test.sh

fuzz:
	./scripts/fuzz.sh

soak:
	./faults/soak.sh

bench: build
	./scripts/bench.sh

bench-quick: build
	./scripts/bench.sh --quick

# Regenerate daemonlink/heddlev1 and daemonlink/heddleapiv1alpha1 from
# proto/; proto-check fails if the committed code differs from what the
# protos generate (or if generation leaves a file git does not know).
proto:
	./scripts/gen-proto.sh

proto-check: proto
	git diff --exit-code -- daemonlink/heddlev1 daemonlink/heddleapiv1alpha1
	test -z "$$(git ls-files --others --exclude-standard -- daemonlink/heddlev1 daemonlink/heddleapiv1alpha1)"

vsix: build
	./editors/vscode/scripts/package.sh

clean:
	rm -rf $(BIN)
