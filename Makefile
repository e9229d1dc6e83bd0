# zeren: two commands. `make dev` runs everything on this machine; `make test`
# runs every test against a throw-away PostgreSQL.
SHELL := /bin/bash
GO ?= go
DATA ?= .zeren
ARGS ?=

.PHONY: dev test deps build vet bench clean check-size vendor

# deps installs what a fresh machine lacks: PostgreSQL's server binaries, and
# Debian's Chromium with a Chinese font (without one, screenshots show boxes in
# place of hanzi) for the browser tests (internal/browser).
deps:
	@if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing PostgreSQL (initdb not found)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q postgresql; \
	fi
	@if [ ! -x /usr/bin/chromium ] || [ -z "$$(fc-list :lang=zh 2>/dev/null)" ]; then \
		echo "installing Chromium and a Chinese font (/usr/bin/chromium or a CJK font not found)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium fonts-wqy-microhei; \
	fi
	@command -v $(GO) >/dev/null || { echo "Go is required: https://go.dev/dl/"; exit 1; }

build:
	$(GO) build -o bin/zeren ./cmd/zeren

dev: deps build
	./bin/zeren dev --data $(DATA) $(ARGS)

vet:
	$(GO) vet ./...

# test starts its own PostgreSQL on a free port (cmd/testpg), runs every
# package's tests, and removes the database afterwards. The browser tests
# must run (deps installs Chromium): a missing browser fails them.
test: deps check-size
	$(GO) vet ./...
	ZEREN_REQUIRE_BROWSER=1 $(GO) run ./cmd/testpg $(GO) test -count=1 -timeout 25m ./...

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

# vendor refreshes the front-end libraries in web/static/vendor from the npm
# registry (through npm, as configured on the machine). The versions and the
# sha512 integrity of each package tarball are pinned here: a tarball whose
# integrity differs is refused. To upgrade, change a version, run
# `npm view NAME@VERSION dist.integrity`, paste the value, and run `make vendor`.
HTMX_VERSION := 2.0.11
HTMX_INTEGRITY := sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==
ECHARTS_VERSION := 5.6.0
ECHARTS_INTEGRITY := sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA==
VENDOR_DIR := web/static/vendor

# $(call npm-vendor,package,folder,version,integrity,files in the tarball's package/ folder)
define npm-vendor
	@set -euo pipefail; \
	command -v npm >/dev/null || { echo "vendor: npm is required"; exit 1; }; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	tgz=$$(cd "$$tmp" && npm pack --silent "$(1)@$(3)" | tail -n 1); \
	got="sha512-$$(openssl dgst -sha512 -binary "$$tmp/$$tgz" | base64 -w0)"; \
	if [ "$$got" != "$(4)" ]; then echo "vendor: $(1)@$(3): integrity $$got, want $(4)" >&2; exit 1; fi; \
	tarball=$$(npm view "$(1)@$(3)" dist.tarball); \
	tar -xzf "$$tmp/$$tgz" -C "$$tmp"; \
	rm -rf "$(VENDOR_DIR)/$(2)"; mkdir -p "$(VENDOR_DIR)/$(2)"; \
	for f in $(5); do cp "$$tmp/package/$$f" "$(VENDOR_DIR)/$(2)/"; done; \
	{ echo "# $(1) $(3)"; echo; \
	  echo "Vendored by \`make vendor\` (Makefile) from the npm registry. Do not edit these files by hand."; echo; \
	  echo "- package: $(1)"; \
	  echo "- version: $(3)"; \
	  echo "- source: the npm registry's tarball $${tarball#*://*/} (\`npm pack $(1)@$(3)\`)"; \
	  echo "- integrity of the tarball: $(4)"; \
	  echo "- files, from the tarball's package/ folder:"; \
	  for f in $(5); do echo "  - $$f, sha256 $$(sha256sum "$$tmp/package/$$f" | cut -d' ' -f1)"; done; \
	} > "$(VENDOR_DIR)/$(2)/README.md"; \
	echo "vendor: $(1)@$(3) -> $(VENDOR_DIR)/$(2) ($$got)"
endef

vendor:
	$(call npm-vendor,htmx.org,htmx,$(HTMX_VERSION),$(HTMX_INTEGRITY),dist/htmx.min.js LICENSE)
	$(call npm-vendor,echarts,echarts,$(ECHARTS_VERSION),$(ECHARTS_INTEGRITY),dist/echarts.min.js LICENSE NOTICE licenses/LICENSE-d3)
