"""Saved searches: kept per principal, shared only with one of its agencies, run as the
RUNNER (a shared search never shows the runner a record it may not read), seen and
deleted under the rules in archive.domain.access; a search the caller may not see answers
like one that does not exist."""

from __future__ import annotations

from archive.domain.access import Principal, Role
from archive.domain.records import Classification
from archive.services.container import Services
from tests.retention.scenario import call
from tests.support.access import make_record, put

OWNER = Principal(
    subject="reader-a1",
    roles=frozenset({Role.READER}),
    agencies=frozenset({"A"}),
    clearance=Classification.SECRET,
)
COLLEAGUE = Principal(subject="reader-a2", roles=frozenset({Role.READER}), agencies=frozenset({"A"}))
STRANGER = Principal(subject="reader-b", roles=frozenset({Role.READER}), agencies=frozenset({"B"}))
ANONYMOUS = Principal(subject="anonymous", anonymous=True)
SAVE = """mutation($name: String!, $q: String, $share: String) {
  saveSearch(name: $name, query: $q, filter: {documentTypes: ["Kế hoạch"]}, shareWithAgency: $share) {
    id name query filter sharedWith mine } }"""
LIST = "{ savedSearches { id name mine sharedWith } }"
RUN = """query($id: String!) { runSavedSearch(id: $id, first: 10) {
  totalCount edges { node { recordId } } } }"""
DELETE = "mutation($id: String!) { deleteSavedSearch(id: $id) }"


async def test_a_shared_search_runs_as_whoever_runs_it(services: Services) -> None:
    plain = make_record(agency="A", subject="Kế hoạch chuyển đổi số", document_type="Kế hoạch")
    secret = make_record(
        agency="A", subject="Kế hoạch bảo vệ", document_type="Kế hoạch", classification=Classification.SECRET
    )
    other_type = make_record(agency="A", subject="Kế hoạch trong công văn", document_type="Công văn")
    await put(services, plain, secret, other_type)

    data, errors = await call(services, OWNER, SAVE, name="  Kế hoạch  ", q="kế hoạch", share="A")
    assert errors == []
    saved = data["saveSearch"]
    assert saved["name"] == "Kế hoạch" and saved["sharedWith"] == "A" and saved["mine"] is True
    assert saved["filter"] == {"document_types": ["Kế hoạch"]}

    mine, _ = await call(services, OWNER, RUN, id=saved["id"])
    assert {e["node"]["recordId"] for e in mine["runSavedSearch"]["edges"]} == {plain.id, secret.id}
    theirs, errors = await call(services, COLLEAGUE, RUN, id=saved["id"])
    assert errors == []
    assert theirs["runSavedSearch"]["totalCount"] == 1
    assert [e["node"]["recordId"] for e in theirs["runSavedSearch"]["edges"]] == [plain.id]

    listed, _ = await call(services, COLLEAGUE, LIST)
    assert listed["savedSearches"] == [
        {"id": saved["id"], "name": "Kế hoạch", "mine": False, "sharedWith": "A"}
    ]
    # B's reader and an anonymous caller see nothing: not in the list, and NOT_FOUND by id.
    for outsider in (STRANGER, ANONYMOUS):
        assert (await call(services, outsider, LIST))[0]["savedSearches"] == []
        assert (await call(services, outsider, RUN, id=saved["id"]))[1] == ["NOT_FOUND"]
        assert (await call(services, outsider, DELETE, id=saved["id"]))[1] == ["NOT_FOUND"]
    assert (await call(services, COLLEAGUE, DELETE, id=saved["id"]))[1] == ["FORBIDDEN"]
    assert (await call(services, OWNER, DELETE, id=saved["id"]))[0] == {"deleteSavedSearch": True}
    assert (await call(services, OWNER, RUN, id=saved["id"]))[1] == ["NOT_FOUND"]
    actions = [e.action for e in services.audit.entries() if e.target == saved["id"]]
    assert actions == ["search.save", "search.delete"]


async def test_a_search_is_shared_only_with_the_owner_s_own_agency(services: Services) -> None:
    assert (await call(services, OWNER, SAVE, name="x", share="B"))[1] == ["FORBIDDEN"]
    assert (await call(services, ANONYMOUS, SAVE, name="x"))[1] == ["FORBIDDEN"]
    assert (await call(services, OWNER, SAVE, name="   "))[1] == ["VALIDATION"]
    assert (await call(services, OWNER, LIST))[0]["savedSearches"] == []
    private, errors = await call(services, OWNER, SAVE, name="Của tôi")
    assert errors == [] and private["saveSearch"]["sharedWith"] is None
    assert (await call(services, COLLEAGUE, LIST))[0]["savedSearches"] == []
