# Two commands on a fresh machine: `make run` (SQLite, console channel, demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pytest-xdist workers for `make test`: one a core (`make test TEST_WORKERS=4` for more).
TEST_WORKERS ?= auto

.PHONY: install run test lint bench lock screenshots texts

$(BIN)/los: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/los

install: $(BIN)/los

run: install
	$(BIN)/los migrate
	$(BIN)/los demo
	LOS_CONSOLE=1 $(BIN)/los serve

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot handlers scheduler storage tests bench
	@test -x "$${LOS_CHROMIUM:-/usr/bin/chromium}" || echo "browser tests skipped: no Chromium at $${LOS_CHROMIUM:-/usr/bin/chromium} (apt-get install -y chromium)"
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal -m "not realtime"
	$(BIN)/python -m pytest -q -m realtime

bench: install
	$(BIN)/python -m bench

# The hashed lock files: requirements.lock (with the dev tools; CI installs it) and
# requirements-prod.lock (what the image installs). Regenerate after changing pyproject.toml.
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --no-header --quiet
lock: install
	$(BIN)/pip install --quiet uv
	$(UV_COMPILE) --extra dev -o requirements.lock
	$(UV_COMPILE) -o requirements-prod.lock
# Every staff view at 1280 and 390 px into docs/screenshots/, from the demo data (needs Chromium).
screenshots: install
	$(BIN)/python -m tests.browser.screenshots docs/screenshots
	LOS_SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest -q tests/browser/test_drift_tokens_media.py -k picture
# The PO catalogues: keys left in handlers/texts/nb.py and en.py ported, the template and every
# language brought up to date, and the .mo files compiled (README "Languages and voice").
texts: install
	$(BIN)/python -m handlers.texts.port
