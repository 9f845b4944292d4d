# The README's two set-up commands: `make demo` and `make test`.
# Both build their own virtualenv in .venv from pyproject.toml.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_OUT ?= demo-output

.PHONY: demo test test-slow bench clean axe

$(BIN)/warroom: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/warroom
	$(BIN)/warroom compare cloudflare-2019-waf \
	    --staffing cloudflare-2019-sre \
	    --staffing business-hours-pager \
	    --staffing 24x7-comms-lead \
	    --staffing follow-the-sun \
	    --replications 2000 --seed 2019 --jobs 2 --out $(DEMO_OUT) --report $(DEMO_OUT)/comparison.html
	$(BIN)/warroom drill run cloudflare-waf-2019 \
	    --roster cloudflare-2019-team --responses cloudflare-2019-actual \
	    --store $(DEMO_OUT)/drills.db -o $(DEMO_OUT)/scorecard.json
	$(BIN)/warroom report scorecard latest --store $(DEMO_OUT)/drills.db -o $(DEMO_OUT)/scorecard.html

# `make test` is the everyday suite (a few minutes on 2 cores); the long validations marked
# slow (the larger Erlang C cells, memory over a 10x longer run) run in `make test-slow`.
# CI (.ci/run) runs both; a bare `pytest` runs everything.
test: $(BIN)/warroom axe
	$(BIN)/python -m pytest -m "not slow"

# axe-core for the browser tests' accessibility checks, from the npm registry into .venv/axe
# (never committed). Without npm the check skips, and fails under CI=true.
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
axe:
	@if [ -f $(AXE) ]; then :; elif command -v npm >/dev/null 2>&1; then \
	    npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@4; \
	else echo "npm not found: the accessibility test will skip (apt-get install -y npm)"; fi

test-slow: $(BIN)/warroom
	$(BIN)/python -m pytest -m slow

bench: $(BIN)/warroom
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
