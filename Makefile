# zeren: two commands. `make dev` runs everything on this machine; `make test`
# runs every test against a throw-away PostgreSQL.
SHELL := /bin/bash
GO ?= go
DATA ?= .zeren
ARGS ?=

.PHONY: dev test deps build vet bench clean

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
test: deps
	$(GO) vet ./...
	$(GO) run ./cmd/testpg $(GO) test -count=1 -timeout 15m ./...

bench: deps
	$(GO) run ./cmd/testpg $(GO) test -run '^$$' -bench . -benchtime 1x ./...

clean:
	rm -rf bin
