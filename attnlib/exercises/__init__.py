"""Checks for the notebooks' exercises: one module per notebook beside a shared harness.

    from attnlib.exercises import nb05
    nb05.check_split_heads(split_heads)   # prints one verdict line, returns True/False

An exercise left as `raise NotImplementedError` is reported as not attempted, so a
notebook runs top to bottom before anyone solves anything. Worked solutions live in
solutions/NN_name.py, apart from the notebooks; tests/test_solutions.py runs each through
its notebook's module.
"""

import importlib
import pkgutil

NAMES = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("nb"))
MODULES = {name[2:]: importlib.import_module(f"{__name__}.{name}") for name in NAMES}
"""Notebook number ('05') -> its check module: every nbNN.py in this folder."""
