# VPO developer tasks. `make help` lists them. Every target installs what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STAMP := $(VENV)/.vpo-installed
RUST_SOURCES := Cargo.toml Cargo.lock $(wildcard rust/src/*.rs)
DEMO := demo

# Python caches each module's bytecode beside it unless PYTHONDONTWRITEBYTECODE says not to
# (some CI images and containers set it). The tests start thousands of `vpo` processes,
# each importing ~150 of VPO's modules: without the cache every one of them compiles them
# again (~50 ms a process), and pytest rewrites every test module's asserts in each
# worker of each pass. So the targets run with Python's default.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: system-deps
system-deps: ## Install ffmpeg, mkvtoolnix, Chromium (HTML report test), SQLite's and a C compiler's files, PostgreSQL (for its tests), Rust, when missing (apt)
	@missing=""; \
	command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	command -v mkvmerge >/dev/null && command -v mkvpropedit >/dev/null && command -v mkvextract >/dev/null || missing="$$missing mkvtoolnix"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	command -v cc >/dev/null || missing="$$missing build-essential"; \
	ls /usr/lib/*/libsqlite3.so >/dev/null 2>&1 || ls /usr/lib/libsqlite3.so >/dev/null 2>&1 || missing="$$missing libsqlite3-dev"; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv python3-dev"; \
	command -v curl >/dev/null || command -v cargo >/dev/null || missing="$$missing curl ca-certificates"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@$(MAKE) --no-print-directory rust

.PHONY: rust
rust: ## Install or update Rust when cargo is missing, has no toolchain, or is older than Cargo.toml's rust-version
	@need=$$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' Cargo.toml); \
	export PATH="$$HOME/.cargo/bin:$$PATH"; \
	have=$$(cargo --version 2>/dev/null | awk '{print $$2}'); \
	if [ -z "$$have" ] && command -v rustup >/dev/null; then \
	  echo "cargo has no default toolchain: rustup default stable"; \
	  rustup default stable >/dev/null && have=$$(cargo --version | awk '{print $$2}'); \
	fi; \
	if [ -n "$$have" ] && [ "$$(printf '%s\n%s\n' "$$need" "$$have" | sort -V | head -n 1)" = "$$need" ]; then \
	  exit 0; \
	fi; \
	if [ -n "$$have" ] && command -v rustup >/dev/null; then \
	  echo "cargo $$have is older than the crate's rust-version $$need: rustup update stable"; \
	  rustup update stable >/dev/null && rustup default stable >/dev/null; \
	else \
	  echo "Installing Rust with rustup (minimal profile; cargo $${have:-missing}, $$need or newer needed)"; \
	  command -v curl >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq curl ca-certificates >/dev/null; }; \
	  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain stable >/dev/null; \
	fi; \
	have=$$(cargo --version 2>/dev/null | awk '{print $$2}'); \
	echo "Rust: cargo $$have (needs $$need or newer)"

$(STAMP): pyproject.toml $(RUST_SOURCES)
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	rm -f python/vpo/_core*.so   # a stale extension would shadow the new build
	PATH="$$HOME/.cargo/bin:$$PATH" $(BIN)/pip install -q -e '.[test]'
	@touch $@

.PHONY: install
install: system-deps $(STAMP) ## Create .venv and build VPO (Rust extension included) into it

.PHONY: lint
lint: install ## Lint and format check (ruff), nothing changed
	$(BIN)/ruff check python tests bench
	$(BIN)/ruff format --check python tests bench

.PHONY: format
format: install ## Reformat the Python code and apply ruff's safe fixes
	$(BIN)/ruff check --fix python tests bench
	$(BIN)/ruff format python tests bench

# Tests run in parallel processes (pytest-xdist), one per core, at most 4: most of a test's
# time is a real `vpo` process, so one pytest process keeps only one core busy. Each test
# file runs whole in one process (`--dist loadscope`): a file's module-scoped library (the
# report's, the filters', the fault trials') is then generated once, not once per process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)
PARALLEL = -n $(TEST_WORKERS) --dist loadscope

.PHONY: test
test: install lint ## Set up everything, then lint and run the Rust and Python test suites, the main ones on PostgreSQL too
	PATH="$$HOME/.cargo/bin:$$PATH" cargo test -q --no-default-features
	$(BIN)/python -m mypy.stubtest vpo._core   # the hand-written _core.pyi matches the extension
	$(BIN)/python -m mypy                      # type-check the package ([tool.mypy] in pyproject.toml)
	$(BIN)/python -m pytest -q -m "not slow" $(PARALLEL) --durations=15   # the slowest, to keep the run short
	$(MAKE) --no-print-directory test-postgresql ENGINES_DONE=1

# `make test-all` also runs every trial marked `slow` and each property test's full count of
# examples (VPO_TEST_ALL=1; the default run tries a quarter of them: tests/depth.py).
.PHONY: test-all
test-all: install lint ## Like test, plus the slow trials, every property test's full example count, every suite on PostgreSQL
	PATH="$$HOME/.cargo/bin:$$PATH" cargo test -q --no-default-features
	$(BIN)/python -m mypy.stubtest vpo._core
	$(BIN)/python -m mypy
	VPO_TEST_ALL=1 $(BIN)/python -m pytest -q $(PARALLEL)
	$(MAKE) --no-print-directory test-postgresql-all ENGINES_DONE=1

# The CLI suites again, every catalogue on a throwaway PostgreSQL server. `make test`: the
# main commands' (scan, apply, undo, jobs, profiles, report, transcode; all of them would
# take the default run past ten minutes on 2 cores; the watcher and the hook meet PostgreSQL
# in the default run through their `engines` tests). `make test-all`: every suite that
# uses the catalogue; the few tests about the SQLite file itself are marked `sqlite_only` and
# skipped there. Within `make test` and `make test-all` (ENGINES_DONE=1) the PostgreSQL pass
# leaves out the tests marked `engines`: the first pass has just run each of them on both
# engines. Run alone, `make test-postgresql` and `make test-postgresql-all` include them.
PG_SUITES = tests/integration/scanning tests/integration/test_scan_first.py \
	tests/integration/applying tests/integration/test_undo.py tests/integration/jobs \
	tests/integration/profiles tests/integration/transcoding tests/integration/test_report.py \
	tests/integration/test_everyday.py
PG_ALL_SUITES = tests/integration tests/security tests/fault \
	tests/properties/test_file_names.py tests/properties/test_since_and_ids.py
ENGINES_AGAIN = $(if $(ENGINES_DONE), and not engines)
.PHONY: test-postgresql
test-postgresql: install ## The main commands' CLI tests with the catalogue on PostgreSQL (part of make test; docs/several-hosts.md)
	VPO_TEST_ENGINE=postgresql $(BIN)/python -m pytest -q -m "not slow$(ENGINES_AGAIN)" $(PARALLEL) $(PG_SUITES)

.PHONY: test-postgresql-all
test-postgresql-all: install ## Every suite that uses the catalogue, on PostgreSQL (part of make test-all)
	VPO_TEST_ENGINE=postgresql VPO_TEST_ALL=1 $(BIN)/python -m pytest -q $(if $(ENGINES_DONE),-m "not engines") \
	  $(PARALLEL) $(PG_ALL_SUITES)

.PHONY: demo
demo: install ## Set up everything, generate a demo library, scan it, change it, rescan, apply a policy and undo it
	rm -rf $(DEMO)
	$(BIN)/python tests/media_libraries.py demo $(DEMO)/library
	@echo; echo "== vpo scan $(DEMO)/library   (first scan: every file is new; 3 are broken on purpose)"
	VPO_HOME=$(DEMO)/home $(BIN)/vpo scan $(DEMO)/library; rc=$$?; [ $$rc -le 1 ]
	@echo; echo "== vpo scan $(DEMO)/library   (again: nothing changed, nothing is probed)"
	VPO_HOME=$(DEMO)/home $(BIN)/vpo scan $(DEMO)/library; rc=$$?; [ $$rc -le 1 ]
	@echo; echo "== rename one file, then vpo scan   (a move: same file id, same history)"
	f=$$(ls $(DEMO)/library/movies/*/*.mkv | head -n 1); mv "$$f" "$${f%.mkv}-renamed.mkv"
	VPO_HOME=$(DEMO)/home $(BIN)/vpo scan $(DEMO)/library; rc=$$?; [ $$rc -le 1 ]
	@echo; echo "== vpo jobs list"
	VPO_HOME=$(DEMO)/home $(BIN)/vpo jobs list
	@echo; echo "== vpo apply --dry-run with examples/policies/english-first.yaml   (plans only)"
	VPO_HOME=$(DEMO)/home $(BIN)/vpo apply --dry-run --policy examples/policies/english-first.yaml $(DEMO)/library/movies | tail -n 12
	@echo; echo "== vpo apply, then vpo backups list   (flags edited in place under a journal; remuxes keep NAME.vpo-original)"
	VPO_HOME=$(DEMO)/home $(BIN)/vpo apply --policy examples/policies/english-first.yaml $(DEMO)/library/movies | tail -n 3
	VPO_HOME=$(DEMO)/home $(BIN)/vpo backups list $(DEMO)/library/movies | tail -n 6
	@echo; echo "== vpo jobs undo   (the apply put back, file by file, byte for byte)"
	job=$$(VPO_HOME=$(DEMO)/home $(BIN)/vpo jobs list --type apply --json | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'); \
	VPO_HOME=$(DEMO)/home $(BIN)/vpo jobs undo "$$job" | tail -n 4
	@echo; echo "Next: export VPO_HOME=$$PWD/$(DEMO)/home; $(BIN)/vpo --help"

.PHONY: docs
docs: install ## Regenerate docs/cli.md from the commands' help (a test fails when it is stale)
	$(BIN)/python -m vpo.cli.reference > docs/cli.md

.PHONY: bench
bench: install ## Run every benchmark and print the figures table
	$(BIN)/python bench/run_all.py

.PHONY: clean
clean: ## Remove build products, the venv and the demo
	rm -rf target $(VENV) $(DEMO) python/vpo/_core*.so .pytest_cache
