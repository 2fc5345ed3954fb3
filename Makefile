# The series' commands. `make install` then `make test` set up and check everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout 300

.PHONY: install test lint unit notebooks notebooks-threads browser-test colab-rehearsal lab live-slides slides handouts timings bench latency execute nb sync data clean gpu-check

install: $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	$(BIN)/python -m ipykernel install --user --name attention-series --display-name "Python (attention series)" >/dev/null
	@echo "Installed. Next: make test (checks everything) or make lab (opens the series)."

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

test: lint unit notebooks browser-test

lint:
	$(BIN)/ruff check attnlib tests scripts data solutions notebooks
	$(BIN)/python scripts/nbtool.py check

unit:
	$(BIN)/python -m pytest -q tests --ignore=tests/browser

# Strict nbval twice: with torch's default thread count and with one thread, because
# every compared output must hold on any machine. THREADS=8 make notebooks-threads for more.
notebooks:
	MPLBACKEND=module://matplotlib_inline.backend_inline $(BIN)/python -m pytest -q $(NBVAL) $(NOTEBOOKS)
	$(MAKE) --no-print-directory notebooks-threads THREADS=1

THREADS ?= 1
notebooks-threads:
	OMP_NUM_THREADS=$(THREADS) MKL_NUM_THREADS=$(THREADS) MPLBACKEND=module://matplotlib_inline.backend_inline \
	  $(BIN)/python -m pytest -q -p no:cacheprovider $(NBVAL) $(NOTEBOOKS)

browser-test:  ## JupyterLab in headless Chromium: run a notebook, move a slider, check the redraw
	bash scripts/ensure_chromium.sh
	$(BIN)/python -m pytest -q -s tests/browser

colab-rehearsal:  ## a notebook's Colab set-up cell, then the notebook, in a Colab-like venv (minutes)
	$(BIN)/python scripts/colab_rehearsal.py $(or $(NB_PATH),notebooks/00_welcome.ipynb)

lab:
	$(BIN)/jupyter lab notebooks

live-slides:  ## one notebook as live slides whose explorers work (Voila, offline): make live-slides NB=05
	@test -n "$(NB)" || (echo "usage: make live-slides NB=05" && exit 2)
	$(BIN)/python scripts/live_slides.py notebooks/$(NB)_*.ipynb

slides:  ## a reveal.js deck per notebook in slides/, reveal.js and MathJax local (works offline)
	$(BIN)/python scripts/slides.py $(NOTEBOOKS)

handouts:  ## a PDF per notebook in build/handouts/ (Chromium prints it; no LaTeX, no network)
	$(BIN)/python scripts/handouts.py $(NOTEBOOKS)

execute:  ## rebuild every notebook from its .py source, run it top to bottom, store its outputs
	$(BIN)/python scripts/nbtool.py build $(NOTEBOOKS:.ipynb=.py)

nb:  ## one notebook: make nb NB=05 rebuilds notebooks/05_*.ipynb from its .py, runs it, then nbval
	@test -n "$(NB)" || (echo "usage: make nb NB=05" && exit 2)
	$(BIN)/python scripts/nbtool.py build notebooks/$(NB)_*.py
	MPLBACKEND=module://matplotlib_inline.backend_inline $(BIN)/python -m pytest -q $(NBVAL) notebooks/$(NB)_*.ipynb
	$(BIN)/ruff check notebooks/$(NB)_*.py

timings:  ## seconds per notebook, executed as CI does
	$(BIN)/python scripts/time_notebooks.py $(NOTEBOOKS)

latency:  ## control change -> finished redraw, per explorer (library explorers, then every notebook's)
	$(BIN)/python scripts/latency.py
	$(BIN)/python scripts/notebook_latency.py

bench:
	$(BIN)/python scripts/bench.py

gpu-check:  ## on a GPU machine (< 8 min): nbval on CUDA, the GPU bench, 18 and 19 big, into results/<gpu>/; exit 2 without a GPU
	$(BIN)/python scripts/gpu_check.py --nbval "$(NBVAL)"

sync:  ## copy the repository URL into every notebook's badge and Colab cell, and the README table
	$(BIN)/python scripts/nbtool.py sync

data:
	$(BIN)/python data/make_data.py

clean:
	rm -rf slides .pytest_cache .ruff_cache
