"""The bounded store of answers kept by key (``ssi_portal/lib/kept.py``)."""

import pytest

from ssi_portal.lib.kept import Kept


def test_an_answer_is_made_once_and_then_kept():
    kept, made = Kept(10), []

    def make():
        made.append(1)
        return f"answer {len(made)}"

    assert kept.get(("en", "/a"), make) == "answer 1"
    assert kept.get(("en", "/a"), make) == "answer 1"
    assert kept.get(("cy", "/a"), make) == "answer 2"
    assert len(made) == 2
    assert ("en", "/a") in kept
    assert len(kept) == 2


def test_a_kept_none_is_an_answer_not_a_miss():
    kept, made = Kept(10), []
    assert kept.get("k", lambda: made.append(1)) is None
    assert kept.get("k", lambda: made.append(1)) is None
    assert made == [1]


def test_a_full_store_lets_every_answer_go_and_starts_again():
    kept = Kept(3)
    for key in "abc":
        kept.get(key, lambda key=key: key.upper())
    assert len(kept) == 3
    assert kept.get("d", lambda: "D") == "D"
    assert len(kept) == 1
    assert "a" not in kept and "d" in kept
    # What was let go is made again from its own key, never another's answer.
    assert kept.get("a", lambda: "A again") == "A again"


def test_peek_makes_nothing():
    kept = Kept(2)
    assert kept.peek("x") is None
    assert "x" not in kept
    kept.get("x", lambda: 5)
    assert kept.peek("x") == 5


def test_clear_forgets_everything():
    kept = Kept(2)
    kept.get("x", lambda: 1)
    kept.clear()
    assert len(kept) == 0
    assert kept.get("x", lambda: 2) == 2


def test_a_store_without_room_is_refused():
    with pytest.raises(ValueError, match="size=0"):
        Kept(0)
