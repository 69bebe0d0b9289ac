"""Which stored copy of an exact duplicate is canonical."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.dedupe import Copy, canonical_copy


def test_lower_rank_wins_even_when_later() -> None:
    trusted = Copy(id="zzz", rank=0, published_at="2023-07-07T09:00:00Z", fetched_at="2023-07-07T09:05:00Z")
    early = Copy(id="aaa", rank=2, published_at="2023-07-05T02:00:00Z", fetched_at="2023-07-05T02:01:00Z")
    assert canonical_copy([early, trusted]) == trusted


def test_same_rank_earliest_published_wins() -> None:
    late = Copy(id="a", rank=1, published_at="2023-07-07T09:00:00Z", fetched_at="2023-07-01T00:00:00Z")
    early = Copy(id="b", rank=1, published_at="2023-07-05T02:00:00Z", fetched_at="2023-07-09T00:00:00Z")
    assert canonical_copy([late, early]) == early


def test_same_published_earliest_fetched_wins() -> None:
    later = Copy(id="a", rank=1, published_at="2023-07-05T02:00:00Z", fetched_at="2023-07-06T00:00:00Z")
    sooner = Copy(id="b", rank=1, published_at="2023-07-05T02:00:00Z", fetched_at="2023-07-05T03:00:00Z")
    assert canonical_copy([later, sooner]) == sooner


def test_full_tie_lowest_id_wins() -> None:
    copies = [
        Copy(id=i, rank=0, published_at="2023-07-05T02:00:00Z", fetched_at="2023-07-05T03:00:00Z")
        for i in ("c3", "a1", "b2")
    ]
    assert canonical_copy(copies).id == "a1"


def test_single_copy_is_canonical() -> None:
    only = Copy(id="x", rank=3, published_at="2023-07-05T02:00:00Z", fetched_at="2023-07-05T03:00:00Z")
    assert canonical_copy([only]) is only


def test_no_copies_is_an_error() -> None:
    with pytest.raises(ValueError, match="no copies"):
        canonical_copy([])


stamps = st.integers(min_value=0, max_value=50).map(lambda d: f"2023-07-{1 + d % 28:02d}T{d % 24:02d}:00:00Z")
copies = st.lists(
    st.builds(
        Copy,
        id=st.text(alphabet="0123456789abcdef", min_size=4, max_size=4),
        rank=st.integers(min_value=0, max_value=4),
        published_at=stamps,
        fetched_at=stamps,
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda c: c.id,
)


@given(copies, st.randoms())
def test_choice_ignores_order_and_no_copy_beats_it(group: list[Copy], rnd: random.Random) -> None:
    winner = canonical_copy(group)
    shuffled = list(group)
    rnd.shuffle(shuffled)
    assert canonical_copy(shuffled) == winner
    for other in group:
        assert winner.rank <= other.rank
        if other.rank == winner.rank:
            assert winner.published_at <= other.published_at
            if other.published_at == winner.published_at:
                assert winner.fetched_at <= other.fetched_at
                if other.fetched_at == winner.fetched_at:
                    assert winner.id <= other.id
