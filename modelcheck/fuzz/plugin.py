"""The pytest plugin (entry point ``pytest11``, name ``modelcheck``): fuzzing and replay in pytest.

* the ``modelcheck_fuzz`` fixture: :func:`~modelcheck.fuzz.check_spec` saving counterexamples
  where this plugin replays them, so a test is one line::

      def test_my_protocol(modelcheck_fuzz):
          modelcheck_fuzz(MyProtocol(nodes=5))

* Hypothesis profiles: ``ci`` (Hypothesis's own: derandomized, so fuzzing uses seed 0) and
  ``deep`` (2,000 examples of up to 100 steps), chosen with ``--hypothesis-profile=deep``;
* every ``*.json`` file of ``<rootdir>/counterexamples/`` becomes a test item that replays it
  against the current spec (a spec file named by a relative path is found from the rootdir,
  wherever pytest runs).  What passes depends on what the trace is:

  - a declared known-bug variant (its params' ``bug`` names one of the spec class's ``bugs``,
    as the library's committed counterexamples do): it must still reproduce, so that the
    checker keeps finding the bug; it fails with "no longer reproduces: ..." when the
    variant was fixed or the spec changed under it;
  - anything else (what ``modelcheck_fuzz`` saves) is a regression test of a real bug: it
    fails with "the bug is still there: ..." while the trace reproduces, passes once the bug
    is fixed (its steps, found by their labels, no longer end in the violation, whatever
    states they pass through now), fails when the spec now raises on its steps (another
    bug), and is skipped when the spec changed so that its steps no longer run (it says
    nothing any more: record it again or delete it).

  Opt out with ``--modelcheck-no-replay`` or ``modelcheck_replay = false``
  in the ini file.  The files are added when pytest runs its default paths (no paths given);
  ``pytest counterexamples/`` runs only them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument

from ..explore.run import spec_raised
from ..replay import replay, spec_from_trace
from ..spec import SpecError
from ..trace.format import TraceFileError, read_trace
from ..trace.store import DEFAULT_DIR
from .check import check_spec

__all__ = ["modelcheck_fuzz", "register_profiles", "CounterexampleFile", "CounterexampleItem"]


def register_profiles() -> None:
    """Register ``deep`` (thorough) and, on a Hypothesis too old to have it, ``ci`` (quick)."""
    try:
        settings.get_profile("ci")
    except InvalidArgument:
        settings.register_profile("ci", derandomize=True, deadline=None, database=None,
                                  suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("deep", max_examples=2000, stateful_step_count=100, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])


register_profiles()  # at import, before Hypothesis's plugin loads --hypothesis-profile


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelcheck")
    group.addoption("--modelcheck-no-replay", action="store_true", default=False,
                    help=f"do not replay the files of <rootdir>/{DEFAULT_DIR}/ as regression tests")
    parser.addini("modelcheck_replay", type="bool", default=True,
                  help=f"replay the files of <rootdir>/{DEFAULT_DIR}/ as regression tests (default true)")


def _replaying(config: pytest.Config) -> bool:
    return bool(config.getini("modelcheck_replay")) and not config.getoption("modelcheck_no_replay")


def _folder(config: pytest.Config) -> Path:
    return Path(config.rootpath) / DEFAULT_DIR


def _is_counterexample(path: Path, config: pytest.Config) -> bool:
    return path.suffix == ".json" and not path.name.startswith(".") and path.parent == _folder(config)


@pytest.fixture
def modelcheck_fuzz(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """``check_spec`` saving counterexamples under ``<rootdir>/counterexamples/``."""
    return functools.partial(check_spec, save_to=_folder(request.config))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if _is_counterexample(file_path, parent.config) and _replaying(parent.config):
        return CounterexampleFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselect
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """With no paths on the command line, add the counterexample files pytest did not walk
    (``testpaths`` usually leaves the folder out)."""
    folder = _folder(config)
    if config.args_source == pytest.Config.ArgsSource.ARGS or not _replaying(config) or not folder.is_dir():
        return
    walked = {item.path for item in items}
    for path in sorted(folder.iterdir()):
        if path in walked or not _is_counterexample(path, config):
            continue
        file = CounterexampleFile.from_parent(session, path=path)
        found = list(file.collect())
        session.ihook.pytest_collectreport(report=pytest.CollectReport(file.nodeid, "passed", None, found))
        items.extend(found)


class ReplayFailed(Exception):
    """A saved counterexample failed its replay test (shown without a traceback)."""


def _known_bug(spec: Any, data: dict[str, Any]) -> bool:
    """Whether the trace is of a declared known-bug variant of its spec (it must reproduce)."""
    bug = data["params"].get("bug")
    return isinstance(bug, str) and bug in type(spec).bugs


class CounterexampleFile(pytest.File):
    """A counterexample file: one regression test."""

    def collect(self):
        yield CounterexampleItem.from_parent(self, name="replay")


class CounterexampleItem(pytest.Item):
    """Replays one saved counterexample: a known-bug variant's passes while it reproduces, any
    other passes once it no longer does (see the module docstring)."""

    def runtest(self) -> None:
        name = self.path.name
        try:
            data = read_trace(str(self.path))
            # a spec file is found from the rootdir (pytest may run in a subdirectory)
            spec = spec_from_trace(data, self.path, root=self.config.rootpath)
            outcome = replay(data, spec)
        except (TraceFileError, SpecError) as exc:
            raise ReplayFailed(f"cannot replay {name}: {exc}") from None
        except Exception as exc:  # the spec raised where replay does not expect it (initial states...)
            raise ReplayFailed(f"cannot replay {name}: "
                               f"{spec_raised('the spec raised', exc)}") from None
        if _known_bug(spec, data):
            if outcome.outcome == "reproduced":
                return
            hint = ("if the bug was fixed on purpose, delete the file" if outcome.outcome == "fixed" else
                    "the spec changed under the trace: if on purpose, delete the file or record it again")
            raise ReplayFailed(f"{name} no longer reproduces: {outcome.outcome}: {outcome.message}\n"
                               f"  ({hint}; modelcheck show {self.path})")
        if outcome.outcome == "reproduced":
            raise ReplayFailed(f"{name}: the bug is still there: {outcome.message}\n"
                               f"  (modelcheck show {self.path})")
        if outcome.raised:  # not a trace gone out of date: a bug of the spec's own, met on its steps
            raise ReplayFailed(f"{name}: the spec now raises on the trace's steps: {outcome.message}\n"
                               f"  (modelcheck replay {self.path})")
        if outcome.outcome == "diverged":
            pytest.skip(f"{name}: the spec changed under the trace, which no longer tests anything "
                        f"({outcome.message}); record it again or delete the file")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ReplayFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"replay {self.path.name}"
