# oauthconf: the OAuth 2.0 conformance suite and its reference server.
#
#   make conformance   run the whole suite against the embedded reference server
#   make test          go vet, every Go test (the suite, the self-test and a short crash soak
#                      included) under -race, a brief fuzz run, and the interop test bed
#
# Both call `make setup`, which installs what the suite needs (Debian's Chromium, the
# Playwright driver from npm, Go modules) idempotently and quickly when already done.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO              ?= go
PLAYWRIGHT_VER  := 1.52.0
DRIVER_DIR      := $(CURDIR)/.cache/playwright-driver/$(PLAYWRIGHT_VER)
CHROMIUM        ?= /usr/bin/chromium-headless-shell
REPORT_DIR      ?= reports
ADDR            ?= 127.0.0.1:8080
DB              ?= oauthconf.db
ISSUER          ?=
FUZZTIME        ?= 10s
DURATION        ?= 60s

# The suite and its tests find the browser and the driver through these.
export PLAYWRIGHT_DRIVER_PATH := $(DRIVER_DIR)
export OAUTHCONF_CHROMIUM     := $(CHROMIUM)

.PHONY: help setup setup-chromium setup-driver setup-go setup-postgres pg conformance test fuzz bench serve build clean selftest soak \
        interop interop-install interop-install-zitadel interop-install-node

help:
	@echo "make conformance  run the conformance suite against the embedded reference server"
	@echo "                  (TARGET=profile.yaml for another server, TAGS='@pkce && ~@browser' for a subset)"
	@echo "make test         vet and test everything (the suite included), with -race"
	@echo "make selftest     run the suite against the reference server with each quirk; print what caught what"
	@echo "make serve        run the reference server (ADDR=$(ADDR) DB=$(DB) ISSUER=...; DB=postgres: a throwaway local cluster)"
	@echo "make pg           start a throwaway PostgreSQL cluster on a loopback port, print its URL; Ctrl-C removes it"
	@echo "make bench        load-test the reference server over loopback beside a bare net/http handler"
	@echo "                  (DB=postgres: a throwaway local cluster; REPLICAS=N servers over one database)"
	@echo "make soak         kill -9 and restart the server under load; check nothing is lost (DURATION=60s; REPLICAS=2 [DB=postgres]: replicas over one database)"
	@echo "make setup        install Chromium, the Playwright driver, PostgreSQL and Go modules"
	@echo "make interop      run the suite against third-party servers (zitadel/oidc example, oauth2-mock-server)"
	@echo "                  and compare with fixtures/interop/*.expected.yaml"

setup: setup-chromium setup-driver setup-postgres setup-go

# Chromium from Debian: playwright's own browser download reaches a CDN that is not available.
# chromium-headless-shell is Chromium's headless build (what Playwright runs for headless
# Chromium): the full browser starts an extra renderer with every context, about 4x the CPU.
setup-chromium:
	@if ! [ -x "$(CHROMIUM)" ]; then \
	  command -v apt-get >/dev/null || { echo "setup: $(CHROMIUM) is missing and apt-get is not available: install Chromium and set CHROMIUM=/path/to/chromium"; exit 1; }; \
	  echo "setup: installing chromium-headless-shell from Debian"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium-headless-shell >/dev/null; \
	fi
	@"$(CHROMIUM)" --version 2>/dev/null | grep -q '^Chromium ' || { echo "setup: $(CHROMIUM) does not run: reinstall it (apt-get install chromium-headless-shell)"; exit 1; }

# The Playwright driver is playwright-core from npm plus a link to node, in a git-ignored folder.
setup-driver:
	@if ! [ -f "$(DRIVER_DIR)/package/cli.js" ] || ! [ -x "$(DRIVER_DIR)/node" ]; then \
	  command -v node >/dev/null || { echo "setup: node is missing: install Node.js (apt-get install nodejs npm)"; exit 1; }; \
	  command -v npm >/dev/null || { echo "setup: npm is missing: install it (apt-get install npm)"; exit 1; }; \
	  echo "setup: fetching playwright-core@$(PLAYWRIGHT_VER) from npm"; \
	  tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  (cd "$$tmp" && npm pack --silent playwright-core@$(PLAYWRIGHT_VER) >/dev/null); \
	  rm -rf "$(DRIVER_DIR)" && mkdir -p "$(DRIVER_DIR)"; \
	  tar xzf "$$tmp/playwright-core-$(PLAYWRIGHT_VER).tgz" -C "$(DRIVER_DIR)"; \
	  ln -sfn "$$(command -v node)" "$(DRIVER_DIR)/node"; \
	fi
	@v=$$("$(DRIVER_DIR)/node" "$(DRIVER_DIR)/package/cli.js" --version 2>&1); \
	  [ "$$v" = "Version $(PLAYWRIGHT_VER)" ] || { echo "setup: driver in $(DRIVER_DIR) reports '$$v', want Version $(PLAYWRIGHT_VER): rm -rf .cache and run make setup"; exit 1; }

setup-go:
	@$(GO) mod download

# PostgreSQL from Debian, for the PostgreSQL tests (refserver/pgcluster starts a throwaway
# cluster from its initdb and pg_ctl as the unprivileged "postgres" user the package creates)
# and for `make serve DB=postgres`. The tests never skip when it is missing: this installs it.
setup-postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 \
	    || { [ "$$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; }; then \
	  command -v apt-get >/dev/null || { echo "setup: PostgreSQL (initdb, pg_ctl) is missing and apt-get is not available: install PostgreSQL 15 or later"; exit 1; }; \
	  echo "setup: installing postgresql from Debian"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi

build:
	$(GO) build -o bin/oauthconf ./cmd/oauthconf

# The built binary rather than `go run`, which reports every non-zero exit status as 1.
conformance: setup build
	bin/oauthconf run --report-dir $(REPORT_DIR) $(if $(TARGET),--target '$(TARGET)') $(if $(TAGS),--tags '$(TAGS)')

test: setup
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -count=1 -timeout 20m ./refserver/selftest/
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory interop

# The self-test by seeded deviations: the reference server with each quirk (oauthconf serve
# --list-quirks), the scenarios aimed at it must fail and all others pass. Prints the table
# quirk -> scenarios that caught it and the detection rate. (make test runs it too, quietly.)
selftest: setup
	$(GO) test -count=1 -timeout 20m -run '^TestSelfTest$$' -v ./refserver/selftest/

# A brief fuzz run of the token endpoint from its checked-in seed corpus.
fuzz:
	$(GO) test ./refserver -run '^$$' -fuzz '^FuzzTokenEndpoint$$' -fuzztime $(FUZZTIME)

# DB=postgres serves from a throwaway local cluster (cmd/pgcluster), removed when serve ends.
serve: setup-go $(if $(filter postgres,$(DB)),setup-postgres)
ifeq ($(DB),postgres)
	$(GO) run ./cmd/pgcluster -- $(GO) run ./cmd/oauthconf serve --demo --addr $(ADDR) --db '{url}' $(if $(ISSUER),--issuer $(ISSUER))
else
	$(GO) run ./cmd/oauthconf serve --demo --addr $(ADDR) --db $(DB) $(if $(ISSUER),--issuer $(ISSUER))
endif

pg: setup-go setup-postgres
	$(GO) run ./cmd/pgcluster

# DB=postgres benches over a throwaway local cluster (cmd/pgcluster), REPLICAS=N serves N servers
# over the one database (the load spread over them); BENCH_FLAGS adds flags (--duration 5s,
# --only client_credentials, --cpuprofile FILE). Any other DB is ignored: the bench never
# writes to a database file of yours (it uses a fresh temporary one).
REPLICAS    ?= 1
BENCH_FLAGS ?=
bench: setup-go $(if $(filter postgres,$(DB)),setup-postgres)
ifeq ($(DB),postgres)
	$(GO) build -o bin/oauthconf ./cmd/oauthconf
	$(GO) run ./cmd/pgcluster -- bin/oauthconf bench --db '{url}' --replicas $(REPLICAS) $(BENCH_FLAGS)
else
	$(GO) run ./cmd/oauthconf bench --replicas $(REPLICAS) $(BENCH_FLAGS)
endif

# The interop test bed (steps/interop): authorization servers this project did not write, each
# started from its own shipped command on free loopback ports, the suite run against each, the
# failures compared with fixtures/interop/<server>.expected.yaml. The servers are installed into
# .cache/interop from the Go module proxy and the npm registry, once.
INTEROP_DIR      := $(CURDIR)/.cache/interop
ZITADEL_OIDC_VER := v3.52.0
ZITADEL_SERVER   := $(INTEROP_DIR)/zitadel-oidc-$(ZITADEL_OIDC_VER)/server
# The Node.js servers go into a folder named after the contents of the lock file and the start
# script: worktrees and branches share .cache, and one with other pins must neither remove nor
# overwrite this one's install (each installs its own, once, and never changes it afterwards).
INTEROP_NODE_KEY := $(shell cat fixtures/interop/node/package-lock.json fixtures/interop/node/oidc-provider-bed.mjs | sha256sum | cut -c1-12)
INTEROP_NODE     := $(INTEROP_DIR)/node-$(INTEROP_NODE_KEY)
MOCK_SERVER      := $(INTEROP_NODE)/node_modules/.bin/oauth2-mock-server
# oidc-provider is a library: its start script is installed next to it.
OIDC_PROVIDER_BED := $(INTEROP_NODE)/oidc-provider-bed.mjs

# INTEROP_RUN picks servers (TestInterop/node-oidc-provider); INTEROP_FLAGS=-update also writes
# each server's draft expected file (reports/interop/<server>/expected.draft.yaml).
INTEROP_RUN   ?= ^TestInterop$$
INTEROP_FLAGS ?=
interop: setup interop-install
	OAUTHCONF_INTEROP=1 OAUTHCONF_INTEROP_ZITADEL='$(ZITADEL_SERVER)' OAUTHCONF_INTEROP_MOCK='$(MOCK_SERVER)' \
	  OAUTHCONF_INTEROP_OIDC_PROVIDER='$(OIDC_PROVIDER_BED)' \
	  $(GO) test -count=1 -timeout 15m -run '$(INTEROP_RUN)' -v ./steps/interop/ $(INTEROP_FLAGS)

interop-install: interop-install-zitadel interop-install-node

# The example OpenID provider of zitadel/oidc, built by go install outside this module (it is
# not a dependency of oauthconf).
interop-install-zitadel:
	@if ! [ -x "$(ZITADEL_SERVER)" ]; then \
	  echo "interop: building github.com/zitadel/oidc/v3/example/server@$(ZITADEL_OIDC_VER)"; \
	  tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  GOBIN="$$tmp" $(GO) install github.com/zitadel/oidc/v3/example/server@$(ZITADEL_OIDC_VER); \
	  mkdir -p "$(dir $(ZITADEL_SERVER))" && mv "$$tmp/server" "$(ZITADEL_SERVER)"; \
	fi

# The Node.js servers, pinned by fixtures/interop/node/package-lock.json (npm ci), with
# oidc-provider's start script: installed into a temporary folder and moved into place when
# complete, so that a run never sees half an install and an interrupted one leaves none.
interop-install-node:
	@if ! [ -f "$(INTEROP_NODE)/.complete" ]; then \
	  command -v npm >/dev/null || { echo "interop: npm is missing: install it (apt-get install nodejs npm)"; exit 1; }; \
	  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||a==20&&b>=19?0:1)' || \
	    { echo "interop: oauth2-mock-server needs Node.js 20.19 or later, found $$(node --version)"; exit 1; }; \
	  echo "interop: installing the Node.js servers (fixtures/interop/node) with npm ci into $(INTEROP_NODE)"; \
	  mkdir -p "$(INTEROP_DIR)" && tmp=$$(mktemp -d "$(INTEROP_DIR)/node-tmp.XXXXXX") && trap 'rm -rf "$$tmp"' EXIT && \
	  cp fixtures/interop/node/package.json fixtures/interop/node/package-lock.json fixtures/interop/node/oidc-provider-bed.mjs "$$tmp/" && \
	  (cd "$$tmp" && npm ci --no-audit --no-fund --silent) && touch "$$tmp/.complete" && \
	  { mv -T "$$tmp" "$(INTEROP_NODE)" 2>/dev/null || [ -f "$(INTEROP_NODE)/.complete" ]; }; \
	fi
# The crash soak: `oauthconf serve` as a child on a temporary database, a steady mix of every
# grant, refresh, introspection and revocation, SIGKILL and restart at random moments, then
# checks that nothing was lost or redeemed twice and nothing answered 5xx (DURATION=60s).
# REPLICAS=N: N serve processes over one database behind a round-robin proxy, one killed at a
# time; with DB=postgres they share a throwaway local cluster (cmd/pgcluster).
soak: setup-go build $(if $(and $(REPLICAS),$(filter postgres,$(DB))),setup-postgres)
ifeq ($(if $(REPLICAS),$(DB)),postgres)
	$(GO) run ./cmd/pgcluster -- bin/oauthconf soak --duration $(DURATION) --seed fixtures/refserver/seed.yaml --replicas $(REPLICAS) --db '{url}'
else
	bin/oauthconf soak --duration $(DURATION) --seed fixtures/refserver/seed.yaml $(if $(REPLICAS),--replicas $(REPLICAS))
endif

clean:
	rm -rf bin $(REPORT_DIR) .cache
