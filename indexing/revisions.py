"""What each incremental update appended after a signature does: pyHanko's diff
analysis, extended with a rule for annotations.

pyHanko's default diff policy knows form filling, signatures and validation data,
but has no rule for annotations (its ``ModificationLevel.ANNOTATIONS`` is never
reached): a received document that gets a receipt stamp or a sticky note reads
as tampered. :class:`AnnotationRule` clears, at level ``ANNOTATIONS``, exactly
this: a page dictionary whose only change is a longer ``/Annots`` array, the new
markup annotations in it and the objects their appearances introduce. Nothing
else is cleared, so changed page content, a replaced content stream, a deleted
annotation, a widget or an embedded file still leaves unexplained objects, which
pyHanko classifies as ``OTHER``.

:class:`RevisionReview` runs that policy one later revision at a time, like
pyHanko's own ``review_file``, but keeps every revision's level instead of
stopping at the first suspicious one, so a report can say which revision made
which change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader, RawPdfPath
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    DiffResult,
    ModificationLevel,
    ReferenceUpdate,
    StandardDiffPolicy,
    SuspiciousModification,
    WhitelistRule,
)
from pyhanko.sign.diff_analysis.commons import compare_dicts
from pyhanko.sign.diff_analysis.rules_api import RelativeContext
from pyhanko.sign.fields import FieldMDPSpec, MDPPerm

# Markup annotations only: they draw on top of the page and change no content
# stream. Widgets belong to form fields (the form rules judge them); links, file
# attachments, media and redactions act on or carry content, so they stay OTHER.
MARKUP_SUBTYPES = frozenset(
    {
        "/Text",
        "/FreeText",
        "/Line",
        "/Square",
        "/Circle",
        "/Polygon",
        "/PolyLine",
        "/Highlight",
        "/Underline",
        "/Squiggly",
        "/StrikeOut",
        "/Stamp",
        "/Caret",
        "/Ink",
        "/Popup",
    }
)
_DEPENDENT_KEYS = ("/AP", "/Popup")  # never /P or /Parent: they lead back to old objects
_MAX_PAGE_DEPTH = 64


class AnnotationRule(WhitelistRule):
    """Clear pages that only gained markup annotations, and those annotations."""

    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterator[ReferenceUpdate]:
        try:
            old_kids = _kids(old.root["/Pages"])
            new_kids = _kids(new.root["/Pages"])
        except (KeyError, TypeError, misc.PdfError):
            return
        yield from _walk(old, new, old_kids, new_kids, depth=0)


def _kids(pages: Any) -> list[generic.Reference]:
    array = pages.get_object()["/Kids"]
    return [item.reference for item in array.get_object() if isinstance(item, generic.IndirectObject)]


def _walk(
    old: HistoricalResolver,
    new: HistoricalResolver,
    old_kids: list[generic.Reference],
    new_kids: list[generic.Reference],
    depth: int,
) -> Iterator[ReferenceUpdate]:
    if old_kids != new_kids or depth > _MAX_PAGE_DEPTH:
        return  # a changed page tree is not an annotation: leave it unexplained
    for ref in new_kids:
        old_node, new_node = old(ref), new(ref)
        if not isinstance(old_node, generic.DictionaryObject):
            continue
        if old_node.get("/Type") == "/Pages":
            try:
                yield from _walk(old, new, _kids(old_node), _kids(new_node), depth + 1)
            except (KeyError, TypeError, misc.PdfError):
                continue
        else:
            yield from _page(old, new, ref, old_node, new_node)


def _page(
    old: HistoricalResolver,
    new: HistoricalResolver,
    ref: generic.Reference,
    old_page: generic.DictionaryObject,
    new_page: Any,
) -> Iterator[ReferenceUpdate]:
    old_annots, _ = _annotations(old_page)
    new_annots, new_array = _annotations(new_page)
    added = [a for a in new_annots if a not in old_annots]
    if not added or not set(old_annots) <= set(new_annots):
        return  # nothing added, or something removed: not ours to clear
    if not _same_apart_from_annots(old_page, new_page):
        return
    if not all(_is_new_markup(old, new, annot) for annot in added):
        return
    # Pages are reachable from many paths (outlines, destinations): approve all.
    yield ReferenceUpdate(updated_ref=ref)
    if new_array is not None and (
        old.is_ref_unassignable(new_array) or new_array == _annotations(old_page)[1]
    ):
        yield ReferenceUpdate(new_array, RelativeContext(ref, RawPdfPath("/Annots")))
    for annot in added:
        yield ReferenceUpdate(updated_ref=annot)
        yield from _new_dependencies(old, new, annot)


def _annotations(page: Any) -> tuple[list[generic.Reference], generic.Reference | None]:
    if not isinstance(page, generic.DictionaryObject) or "/Annots" not in page:
        return [], None
    raw = page.raw_get("/Annots")
    array_ref = raw.reference if isinstance(raw, generic.IndirectObject) else None
    array = raw.get_object()
    if not isinstance(array, generic.ArrayObject):
        return [], array_ref
    return [a.reference for a in array if isinstance(a, generic.IndirectObject)], array_ref


def _same_apart_from_annots(old_page: generic.DictionaryObject, new_page: Any) -> bool:
    try:
        return bool(compare_dicts(old_page, new_page, frozenset({"/Annots"}), raise_exc=False))
    except (SuspiciousModification, misc.PdfError):
        return False


def _is_new_markup(old: HistoricalResolver, new: HistoricalResolver, ref: generic.Reference) -> bool:
    if not old.is_ref_unassignable(ref):
        return False  # an existing object re-listed or rewritten: not a new annotation
    annotation = new(ref)
    return isinstance(annotation, generic.DictionaryObject) and annotation.get("/Subtype") in MARKUP_SUBTYPES


def _new_dependencies(
    old: HistoricalResolver, new: HistoricalResolver, ref: generic.Reference
) -> Iterator[ReferenceUpdate]:
    annotation = new(ref)
    for key in _DEPENDENT_KEYS:
        if key not in annotation:
            continue
        # Only objects introduced after signing: an old font or image rewritten in
        # place through an appearance's resources must stay unexplained.
        for dependency in new.collect_dependencies(annotation.raw_get(key), since_revision=old.revision + 1):
            yield ReferenceUpdate(updated_ref=dependency)


ANNOTATION_LEVEL = ModificationLevel.ANNOTATIONS


def review_policy() -> StandardDiffPolicy:
    """pyHanko's default policy plus :class:`AnnotationRule` at level ``ANNOTATIONS``."""
    base = DEFAULT_DIFF_POLICY
    return StandardDiffPolicy(
        global_rules=[*base.global_rules, AnnotationRule().as_qualified(ANNOTATION_LEVEL)],
        form_rule=base.form_rule,
    )


@dataclass(frozen=True, slots=True)
class RevisionFinding:
    """What the file looks like at one later revision, compared with the signed one."""

    revision: int  # pyHanko's numbering, from 0
    level: ModificationLevel  # OTHER when the change could not be explained
    reason: str | None  # why it is OTHER, when it is


class RevisionReview(StandardDiffPolicy):
    """The review policy, one update at a time, keeping one finding per later revision.

    Each update is judged against the revision before it, and a revision's level
    is the worst of every update since the signature (so it only grows, and once
    an update is unexplained every later revision stays ``OTHER``). pyHanko
    compares each revision with the signed one instead; that reads a receipt
    stamp followed by a countersignature as suspicious, because the signature
    rules then meet an annotation they did not add.

    pyHanko calls ``review_file`` once per signature; build one instance per
    signature and read :attr:`findings` afterwards.
    """

    def __init__(self) -> None:
        policy = review_policy()
        super().__init__(global_rules=policy.global_rules, form_rule=policy.form_rule)
        self.findings: list[RevisionFinding] = []

    def review_file(
        self,
        reader: PdfFileReader,
        base_revision: int | HistoricalResolver,
        field_mdp_spec: FieldMDPSpec | None = None,
        doc_mdp: MDPPerm | None = None,
    ) -> DiffResult | SuspiciousModification:
        base = (
            reader.get_historical_resolver(base_revision) if isinstance(base_revision, int) else base_revision
        )
        worst: DiffResult | SuspiciousModification = DiffResult(ModificationLevel.NONE, set())
        previous = base
        for revision in range(base.revision + 1, reader.xrefs.total_revisions):
            current = reader.get_historical_resolver(revision)
            worst = _worse(worst, self._step(previous, current, field_mdp_spec, doc_mdp))
            self.findings.append(_finding(revision, worst))
            previous = current
        return worst

    def _step(
        self,
        previous: HistoricalResolver,
        current: HistoricalResolver,
        field_mdp_spec: FieldMDPSpec | None,
        doc_mdp: MDPPerm | None,
    ) -> DiffResult | SuspiciousModification:
        try:
            return self.apply(previous, current, field_mdp_spec, doc_mdp)
        except SuspiciousModification as suspicious:
            return suspicious


def _finding(revision: int, result: DiffResult | SuspiciousModification) -> RevisionFinding:
    if isinstance(result, SuspiciousModification):
        return RevisionFinding(revision, ModificationLevel.OTHER, str(result)[:500])
    return RevisionFinding(revision, result.modification_level, None)


def _worse(
    current: DiffResult | SuspiciousModification, result: DiffResult | SuspiciousModification
) -> DiffResult | SuspiciousModification:
    if isinstance(current, SuspiciousModification):
        return current
    if isinstance(result, SuspiciousModification):
        return result
    level = max(current.modification_level, result.modification_level)
    return DiffResult(level, current.changed_form_fields | result.changed_form_fields)
