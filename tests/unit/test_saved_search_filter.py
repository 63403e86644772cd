"""A saved search's filter survives JSON: every field of SearchFilter, back as it went."""

from __future__ import annotations

import json
from datetime import date

import pytest

from archive.domain.errors import MetadataInvalid
from archive.domain.records import Classification, Direction
from archive.domain.saved_searches import filter_from_json, filter_to_json
from archive.domain.search import SearchFilter


def test_every_field_round_trips_through_json() -> None:
    full = SearchFilter(
        agency_codes=("A", "B"),
        document_types=("Kế hoạch",),
        issued_from=date(2024, 1, 1),
        issued_to=date(2024, 12, 31),
        direction=Direction.INCOMING,
        classifications=(Classification.ORDINARY, Classification.SECRET),
        signed=True,
        signature_valid=False,
        fonds_ids=("f",),
        dossier_ids=("d1", "d2"),
    )
    stored = json.loads(json.dumps(filter_to_json(full)))
    assert filter_from_json(stored) == full
    assert filter_to_json(SearchFilter()) == {}
    assert filter_from_json({"a_field_of_a_newer_release": 1}) == SearchFilter()


def test_a_value_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(MetadataInvalid):
        filter_from_json({"signed": "yes"})
    with pytest.raises(MetadataInvalid):
        filter_from_json({"agency_codes": "A"})
