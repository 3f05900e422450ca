"""The protocol library: one module per protocol, its known-bug variants inside.

Installed as ``modelcheck.specs``; ``modelcheck list`` shows every spec here.
"""
