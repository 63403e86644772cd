"""Search adapters for the ``SearchIndex`` port.

``SqliteSearchIndex`` (SQLite FTS5, the embedded default) and ``ElasticsearchIndex``
(production) read a ``ParsedQuery`` the same way (see ``_terms``): words and
phrases match the folded text, exact diacritics score higher, document numbers
match the normalised number exactly, and the read scope is part of the query.
Both score hits with the one model in ``_scoring``, which reads nothing but the
query and the record, so no record outside the caller's scope moves a score.
"""

from indexing.search.elastic import ElasticsearchIndex
from indexing.search.fts import SqliteSearchIndex

__all__ = ["ElasticsearchIndex", "SqliteSearchIndex"]
