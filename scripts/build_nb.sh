#!/usr/bin/env bash
# Author's loop for one notebook written in jupytext percent format (not committed):
#   scripts/build_nb.sh nbsrc/01_dot_product_attention.py
# converts it to notebooks/<name>.ipynb, adds the standard header cells, executes it
# and runs nbval on it.
set -euo pipefail
src=$1
name=$(basename "$src" .py)
.venv/bin/jupytext --quiet --to ipynb --output "notebooks/$name.ipynb" "$src"
.venv/bin/python scripts/nbtool.py sync >/dev/null
.venv/bin/python scripts/nbtool.py execute "notebooks/$name.ipynb"
MPLBACKEND=module://matplotlib_inline.backend_inline .venv/bin/python -m pytest -q --nbval \
  --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg "notebooks/$name.ipynb"
.venv/bin/ruff check "notebooks/$name.ipynb"
