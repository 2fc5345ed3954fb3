"""Checks for the notebooks' exercises: one module per notebook beside a shared harness.

    from attnlib.exercises import nb05
    nb05.check_split_heads(split_heads)   # prints one verdict line, returns True/False

An exercise left as `raise NotImplementedError` is reported as not attempted, so a
notebook runs top to bottom before anyone solves anything. Worked solutions live in
solutions/NN_name.py, apart from the notebooks; tests/test_solutions.py runs each through
its notebook's module.
"""

from . import nb00, nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08, nb17, nb18

MODULES = {m.__name__.rsplit(".", 1)[1][2:]: m
           for m in (nb00, nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08, nb17, nb18)}
"""Notebook number ('05') -> its check module."""
