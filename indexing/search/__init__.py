"""Search adapters for the ``SearchIndex`` port.

``SqliteSearchIndex`` (SQLite FTS5, the embedded default) and ``ElasticsearchIndex``
(production) read the same ``ParsedQuery`` the same way: see ``_terms``.
"""

from indexing.search.fts import SqliteSearchIndex

__all__ = ["SqliteSearchIndex"]
