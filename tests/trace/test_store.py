"""Saved files get the permissions of any other file the user creates, not mkstemp's 0600."""

import os
import stat
from pathlib import Path

import pytest

from modelcheck import explore
from modelcheck.trace.store import save_trace, write_atomic

from models import Changeable


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_new_files_follow_the_umask(tmp_path, umask):
    write_atomic(tmp_path / "a.txt", "a\n")
    assert mode(tmp_path / "a.txt") == 0o644
    umask(0o077)
    write_atomic(tmp_path / "b.txt", "b\n")
    assert mode(tmp_path / "b.txt") == 0o600
    umask(0o002)
    Changeable.stride, Changeable.stop = 1, 6
    path = Path(save_trace(explore(Changeable(), "bfs").violations[0], tmp_path / "ce"))
    assert mode(path) == 0o664
    assert [p.name for p in (tmp_path / "ce").iterdir()] == [path.name]  # no temporary file left


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_an_overwritten_file_keeps_its_mode(tmp_path, umask):
    target = tmp_path / "trace.html"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n" and mode(target) == 0o640
    os.chmod(target, 0o604)
    write_atomic(target, "newer\n")
    assert target.read_text() == "newer\n" and mode(target) == 0o604


def test_the_same_trace_found_with_another_seed_is_saved_once(tmp_path):
    Changeable.stride, Changeable.stop = 1, 6
    first, second = (explore(Changeable(), "random", seed=seed, walks=5).violations[0] for seed in (1, 2))
    assert (first.seed, second.seed) == (1, 2) and first.steps == second.steps
    paths = [Path(save_trace(t, tmp_path)) for t in (first, second)]
    assert paths[0] == paths[1] and [p.name for p in tmp_path.iterdir()] == [paths[0].name]
    assert '"seed": 2' in paths[0].read_text()  # the file says how it was found last
    bfs = explore(Changeable(), "bfs").violations[0]
    assert Path(save_trace(bfs, tmp_path)) != paths[0]  # another strategy: another file


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "trace.json"
    target.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "half \ud800 written")  # fails after the temporary file exists
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["trace.json"]


def test_temporary_names_already_taken_are_skipped(tmp_path, monkeypatch):
    taken = iter([b"\x00" * 4, b"\x00" * 4, b"\x01" * 4])
    monkeypatch.setattr(os, "urandom", lambda n: next(taken))
    (tmp_path / ".a.txt.00000000").write_text("someone else's\n")
    write_atomic(tmp_path / "a.txt", "mine\n")
    assert (tmp_path / "a.txt").read_text() == "mine\n"
    assert (tmp_path / ".a.txt.00000000").read_text() == "someone else's\n"


def test_every_temporary_name_taken_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "urandom", lambda n: b"\x00" * n)
    (tmp_path / ".a.txt.00000000").write_text("")
    with pytest.raises(FileExistsError, match=r"cannot create a temporary file beside .*a\.txt: 100 names taken"):
        write_atomic(tmp_path / "a.txt", "mine\n")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc, where no file can be created")
def test_an_error_names_the_path_given_not_the_temporary_file():
    with pytest.raises(OSError) as caught:
        write_atomic("/proc/modelcheck-test.txt", "x")
    assert caught.value.filename == "/proc/modelcheck-test.txt"


def test_a_name_as_long_as_the_file_system_takes_is_written(tmp_path):
    """Found by a review: the temporary twin (.NAME.XXXXXXXX) of a 250-character name was too long."""
    target = tmp_path / ("g" * 250 + ".dot")
    write_atomic(target, "x\n")
    assert target.read_text() == "x\n" and [p.name for p in tmp_path.iterdir()] == [target.name]
