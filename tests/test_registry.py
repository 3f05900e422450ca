"""How spec references are read: library names, module:Class and spec files."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import click
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


@pytest.mark.parametrize("site", [False, True])
def test_run_inside_a_source_tree_the_library_is_its_specs_folder(tmp_path, site):
    """`python -m modelcheck` in a checkout imports the checkout's package, whatever is
    installed; there the library is the top-level specs/ folder (an install maps it to
    modelcheck.specs). Without site (-S): no install's import hooks at all; with them:
    the hook of the install running these tests (editable, of another tree, or regular)
    must not answer for the checkout. A checkpointed run, which starts itself again with
    a fixed hash seed, runs the checkout's code in both processes."""
    repo = Path(__file__).resolve().parents[1]
    tree = tmp_path / "checkout"
    skip = shutil.ignore_patterns("__pycache__", "*.so")
    shutil.copytree(repo / "modelcheck", tree / "modelcheck", ignore=skip)
    shutil.copytree(repo / "specs", tree / "specs", ignore=skip)
    init = tree / "modelcheck" / "__init__.py"  # says which package each process imported
    init.write_text("import sys\nprint('imported', __file__, file=sys.stderr)\n" + init.read_text())
    deps = os.pathsep.join({str(Path(m.__file__).parents[1]) for m in (attrs, click)})
    env = {**os.environ, "PYTHONPATH": deps}
    env.pop("PYTHONHASHSEED", None)
    python = [sys.executable] if site else [sys.executable, "-S"]
    probe = "import modelcheck.specs.twophase as m; print(m.__file__)"
    r = subprocess.run(python + ["-c", probe], cwd=tree, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == str(tree / "specs" / "twophase.py"), r.stderr
    r = subprocess.run(python + ["-m", "modelcheck", "explore", "twophase", "--checkpoint", tmp_path / "ck"],
                       cwd=tree, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "  distinct states    288" in r.stdout.splitlines(), r.stdout + r.stderr
    assert r.stderr.splitlines().count(f"imported {init}") == 2, r.stderr


def test_the_api_takes_a_spec_object_or_a_reference_and_names_what_else_it_got():
    """Found by a review: ``explore(Lock)`` and ``explore("./lock.py")`` gave raw TypeError and
    AttributeError; fuzz already took references."""
    from modelcheck import SpecError, explore
    from models import Changeable

    assert explore("twophase").distinct_states == 288  # 3 RMs, the defaults
    with pytest.raises(SpecError, match=r"^give a spec object, not its class: Changeable\(\) "):
        explore(Changeable)
    with pytest.raises(SpecError, match=r"or a reference such as 'twophase' .*, not a value of type int$"):
        explore(3)
