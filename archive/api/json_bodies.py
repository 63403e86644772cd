"""JSON request bodies: why one cannot be a GraphQL request, found without recursion.

The gate asks before strawberry parses, because ``json.loads`` answers invalid
UTF-8 with UnicodeDecodeError and deep nesting with RecursionError, which
strawberry does not catch: each became a 500 with a traceback in the log.
"""

from __future__ import annotations

import json
import re

MAX_JSON_NESTING = 64  # GraphQL variables of this API nest a handful of levels
_JSON_TOKENS = re.compile(r'\\.|["\[\]{}]', re.DOTALL)  # an escape pair is one token


def json_problem(body: bytes) -> str | None:
    """Why a JSON request body cannot be a GraphQL request, or None when it parses.

    Checked here, before strawberry, because ``json.loads`` answers invalid UTF-8 with
    UnicodeDecodeError and deep nesting with RecursionError, which would become 500s.
    """
    if not body or body.isspace():
        return None  # GET for GraphiQL, or strawberry's own "no query" answer
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not valid UTF-8"
    if _nesting(text) > MAX_JSON_NESTING:
        return f"the JSON is nested deeper than {MAX_JSON_NESTING} levels"
    try:
        json.loads(text)
    except ValueError:
        return "the body is not valid JSON"
    return None


def _nesting(text: str) -> int:
    """The deepest bracket nesting of a JSON text, outside strings, without recursion."""
    if text.count("[") + text.count("{") <= MAX_JSON_NESTING:
        return 0  # cannot be too deep: the common case costs two counts
    depth = deepest = 0
    in_string = False
    for match in _JSON_TOKENS.finditer(text):
        lexeme = match.group()
        if lexeme == '"':
            in_string = not in_string
        elif in_string or lexeme[0] == "\\":
            continue
        elif lexeme in "[{":
            depth += 1
            if depth > MAX_JSON_NESTING:
                return depth  # deep enough to refuse: stop reading
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest
