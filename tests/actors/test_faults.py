"""The fault model's value: its text form (the CLI's --faults), summary and errors."""

from __future__ import annotations

import pytest

from modelcheck import SpecError
from modelcheck.actors import Faults


def test_parse_the_cli_form():
    f = Faults.parse("drop,dup,crash=1,partition=1,skew=2,byzantine=1,fifo")
    assert f == Faults(network="fifo", drop=True, dup=True, crashes=1, partitions=1, skew=2, byzantine=1)
    assert Faults.parse("") == Faults.parse("none") == Faults.parse(None) == Faults()
    assert Faults.parse(" crash , partitions=2 ,timed") == Faults(crashes=1, partitions=2, skew=0)
    assert Faults.parse("split=n1+n2+n3|n4+n5,split={n1} | {n2 n3 n4 n5}") == Faults(
        partitions=1, splits=("n1+n2+n3|n4+n5", "{n1} | {n2 n3 n4 n5}"))


@pytest.mark.parametrize("text", [
    "", "fifo", "drop,dup", "crash=2", "partition=1,split=n1+n2|n3", "skew=0", "skew=3,byzantine=1",
    "fifo,drop,dup,crash=1,partition=2,skew=1,byzantine=2",
])
def test_text_and_summary_round_trip(text):
    f = Faults.parse(text)
    assert Faults.parse(str(f)) == f
    assert Faults(**f.summary()) == f
    assert Faults.coerce(f.summary()) == Faults.coerce(str(f)) == Faults.coerce(f) == f


def test_summary_names_the_network_and_the_active_faults_only():
    assert Faults().summary() == {"network": "unordered"}
    assert Faults.parse("crash=1,split=n1|n2").summary() == {
        "network": "unordered", "crashes": 1, "partitions": 1, "splits": ["n1|n2"]}
    assert str(Faults()) == "none"


@pytest.mark.parametrize("text, message", [
    ("crsh=1", "unknown fault 'crsh=1' in 'crsh=1'; faults are: unordered, fifo, drop, dup, crash=K"),
    ("crash=x", "fault crash=x needs a whole number, e.g. crash=1"),
    ("crash=-1", "fault crash=-1 must be >= 0"),
    ("drop,drop", "fault 'drop' given twice"),
    ("fifo,unordered", "fault 'unordered' given twice"),
    ("skew", "unknown fault 'skew'"),
    ("drop=1", "unknown fault 'drop=1'"),
    ("split=n1", "a split has two sides separated by '|'"),
    ("split=n1|", "each side of split 'n1|' must name at least one node"),
    ("partition=0,split=n1|n2", "splits are given but partitions=0"),
])
def test_bad_input_is_one_clear_line(text, message):
    with pytest.raises(SpecError) as err:
        Faults.parse(text)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_bad_values_and_dicts_are_refused():
    with pytest.raises(SpecError, match="network must be one of unordered, fifo"):
        Faults(network="tcp")
    with pytest.raises(SpecError, match="skew must be a whole number >= 0"):
        Faults(skew=-1)
    with pytest.raises(SpecError, match="crashes must be a whole number >= 0"):
        Faults(crashes=True)
    with pytest.raises(SpecError, match="unknown fault 'loss'"):
        Faults.coerce({"loss": True})
    with pytest.raises(SpecError, match="not int"):
        Faults.coerce(3)


@pytest.mark.parametrize("splits", [("{n1,n2}|{n3}",), ("{n1,n2} | {n3}", "n1+n3|n2"), ("{n1}|{n2,n3,n4}",)])
def test_splits_as_traces_show_them_round_trip(splits):
    f = Faults(partitions=2, splits=splits)
    assert Faults.parse(str(f)) == f
    assert Faults.parse(f"drop,split={splits[0]},crash=1") == Faults(
        drop=True, crashes=1, partitions=1, splits=splits[:1])
