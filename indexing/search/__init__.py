"""Search adapters for the ``SearchIndex`` port.

``SqliteSearchIndex`` (SQLite FTS5, the embedded default) and ``ElasticsearchIndex``
(production) read a ``ParsedQuery`` the same way (see ``_terms``): words and
phrases match the folded text, exact diacritics score higher, document numbers
match the normalised number exactly, and the read scope is part of the query.
Both score hits with the one model in ``_scoring``, which reads nothing but the
query and the record, so no record outside the caller's scope moves a score.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexing.search.elastic import ElasticsearchIndex
    from indexing.search.fts import SqliteSearchIndex

__all__ = ["ElasticsearchIndex", "SqliteSearchIndex"]


def __getattr__(name: str) -> object:
    # Imported on first use: the Elasticsearch client costs ~0.15 s to import, which
    # every worker and CLI command on the embedded stack would otherwise pay for nothing.
    if name == "ElasticsearchIndex":
        from indexing.search.elastic import ElasticsearchIndex

        return ElasticsearchIndex
    if name == "SqliteSearchIndex":
        from indexing.search.fts import SqliteSearchIndex

        return SqliteSearchIndex
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
