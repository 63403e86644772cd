"""A record's files in the domain: the key of each version, and the roles a deposit may carry."""

from __future__ import annotations

import pytest

from archive.domain.errors import FileRejected
from archive.domain.files import FileRole, check_roles, file_key, files_prefix, record_prefix

RECORD = "0f8fad5b-d9cb-469f-a165-70867728950e"
OTHER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def test_every_key_of_a_record_lies_under_its_prefix_and_no_other_record_shares_it() -> None:
    keys = [
        file_key(RECORD, RECORD, 1),
        file_key(RECORD, RECORD, 2, nonce="a1"),
        file_key(RECORD, OTHER, 1),
        file_key(RECORD, OTHER, 3, nonce="b2"),
    ]
    assert keys[0] == record_prefix(RECORD) == "records/0f/0f8fad5b-d9cb-469f-a165-70867728950e"
    assert all(k.startswith(record_prefix(RECORD)) for k in keys)
    assert all(k.startswith(files_prefix(RECORD)) for k in keys[1:])
    assert len(set(keys)) == 4
    assert file_key(RECORD, OTHER, 3, nonce="b2") != file_key(RECORD, OTHER, 3, nonce="c3")
    assert not any(k.startswith(record_prefix(OTHER)) for k in keys)


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ([], "needs its main file"),
        ([FileRole.APPENDIX], "exactly one main file; 0"),
        ([FileRole.MAIN, FileRole.MAIN], "exactly one main file; 2"),
        ([FileRole.MAIN, FileRole.SOURCE, FileRole.SOURCE], "at most one source package"),
        ([FileRole.MAIN, *[FileRole.APPENDIX] * 3], "at most 3 files; 4"),
    ],
)
def test_a_deposit_has_one_main_file_at_most_one_source_and_a_bounded_count(
    roles: list[FileRole], message: str
) -> None:
    with pytest.raises(FileRejected, match=message):
        check_roles(roles, limit=3)


def test_a_main_file_with_appendices_attachments_and_a_source_is_accepted() -> None:
    check_roles([FileRole.MAIN, FileRole.APPENDIX, FileRole.ATTACHMENT, FileRole.SOURCE], limit=4)
