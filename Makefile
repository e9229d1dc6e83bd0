# zeren: two commands. `make dev` runs everything on this machine; `make test`
# runs every test against a throw-away PostgreSQL.
SHELL := /bin/bash
GO ?= go
DATA ?= .zeren
ARGS ?=

.PHONY: dev test deps build vet bench clean check-size

# deps installs what a fresh machine lacks: PostgreSQL's server binaries.
deps:
	@if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing PostgreSQL (initdb not found)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q postgresql; \
	fi
	@command -v $(GO) >/dev/null || { echo "Go is required: https://go.dev/dl/"; exit 1; }

build:
	$(GO) build -o bin/zeren ./cmd/zeren

dev: deps build
	./bin/zeren dev --data $(DATA) $(ARGS)

vet:
	$(GO) vet ./...

# test starts its own PostgreSQL on a free port (cmd/testpg), runs every
# package's tests, and removes the database afterwards.
test: deps check-size
	$(GO) vet ./...
	$(GO) run ./cmd/testpg $(GO) test -count=1 -timeout 15m ./...

# check-size refuses a tracked file over 2 MB (binaries and data folders belong in .gitignore).
check-size:
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		big=$$(git ls-files -z | xargs -0 -r stat -c '%s %n' 2>/dev/null | awk '$$1 > 2097152 {print}'); \
		if [ -n "$$big" ]; then echo "tracked files over 2 MB:"; echo "$$big"; exit 1; fi; \
	fi

bench: deps
	$(GO) run ./cmd/testpg $(GO) test -run '^$$' -bench . -benchtime 1x ./...

clean:
	rm -rf bin
