"""Hypothesis strategies the differential tests share: callers of every shape."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from archive.domain.access import Principal, Role
from archive.domain.records import Classification

classifications = st.sampled_from(list(Classification))


def principals(agencies: Sequence[str], *, anonymous: bool = True) -> st.SearchStrategy[Principal]:
    """Any mix of roles, up to two of ``agencies``, any clearance; anonymous callers too."""
    return st.builds(
        lambda n, roles, chosen, clearance, anon: Principal(
            subject="anonymous" if anon else f"p{n}",
            roles=frozenset() if anon else frozenset(roles),
            agencies=frozenset() if anon else frozenset(chosen),
            clearance=clearance,
            anonymous=anon,
        ),
        st.integers(0, 3),
        st.sets(st.sampled_from(list(Role)), max_size=2),
        st.sets(st.sampled_from(list(agencies)), max_size=2),
        classifications,
        st.booleans() if anonymous else st.just(False),
    )
