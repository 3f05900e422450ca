"""The one compiled part: the breadth-first search's per-transition loop (modelcheck/explore/_expand.c).

Optional: without a C compiler the install goes on and bfs.py runs the same loop in Python.
Everything else about the package is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("modelcheck.explore._expand", ["modelcheck/explore/_expand.c"], optional=True)])
