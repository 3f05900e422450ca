"""README's example spec works as README says."""

import re
from pathlib import Path

from modelcheck import build, explore

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_spec(tmp_path):
    code = re.search(r"```python\n# counter.py\n(.*?)```", README.read_text(), re.S).group(1)
    (tmp_path / "counter.py").write_text(code)
    ok = explore(build(str(tmp_path / "counter.py"), {"limit": "3"}))
    assert ok.complete and ok.ok and ok.distinct_states == 16
    assert ok.reachability == {"both_moved": "reached"}
    bad = explore(build(str(tmp_path / "counter.py"), {"bug": "overflow"}))
    assert len(bad.violations[0]) == 5


def test_readme_starts_with_install_and_test_commands():
    text = README.read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert "pip install -e '.[test]'" in block[0] and "modelcheck explore" in block[0]
    assert block[1] == "python -m pytest"
    assert "python -m pytest" in (README.parent / ".ci" / "run").read_text()


def test_readme_commands_name_existing_counterexamples():
    """Each `modelcheck show|replay counterexamples/...` names one committed file (a glob
    matching several makes `show` refuse the extra arguments), and the Mermaid example
    is what its command prints."""
    from click.testing import CliRunner

    from modelcheck.cli import main

    text = README.read_text()
    commands = re.findall(r"`modelcheck (?:show|replay) (counterexamples/[^\s`]+)([^`]*)`", text)
    assert commands
    for name, _ in commands:
        assert (README.parent / name).is_file(), name
    (name, args), = [c for c in commands if "--format mermaid" in c[1]]
    shown = text.split(f"`modelcheck show {name}{args}`", 1)[1].split("```mermaid\n", 1)[1].split("```", 1)[0]
    r = CliRunner().invoke(main, ["show", str(README.parent / name), *args.split()])
    assert r.exit_code == 0 and r.output == shown
