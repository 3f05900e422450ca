"""How spec references are read: library names, module:Class and spec files."""

import pytest

from modelcheck import registry


@pytest.mark.parametrize("ref, parts, is_file", [
    ("raft-election", ("raft-election", "", ""), False),
    ("my_models:Diamond", ("my_models", ":", "Diamond"), False),
    ("./counter.py", ("./counter.py", "", ""), True),
    ("./counter.py:Counter", ("./counter.py", ":", "Counter"), True),
    ("/abs/dir/m.py:Counter", ("/abs/dir/m.py", ":", "Counter"), True),
    ("C:\\proj\\m.py", ("C:\\proj\\m.py", "", ""), True),
    ("C:\\proj\\m.py:Counter", ("C:\\proj\\m.py", ":", "Counter"), True),
    ("C:/proj/m.py:Counter", ("C:/proj/m.py", ":", "Counter"), True),
])
def test_a_reference_splits_into_target_and_class(ref, parts, is_file):
    assert registry.split(ref) == parts
    assert registry.is_file(parts[0]) is is_file


@pytest.mark.parametrize("ref, slug", [
    ("raft-election", "raft-election"), ("my_models:Diamond", "Diamond"), ("./counter.py:Counter", "counter"),
    ("/abs/x.py", "x"), ("C:\\proj\\m.py:Counter", "m"), ("C:/proj/m.py", "m"),
])
def test_a_trace_file_is_named_after_the_spec(ref, slug):
    from modelcheck.trace.store import _slug

    assert _slug(ref) == slug
