"""The lexical rules Turtle, TriG and SPARQL share, as the W3C grammars write them.

Strings (``STRING_LITERAL1/2`` and the long forms), ``IRIREF`` and comments are where braces,
dots and keywords are not syntax: every scanner of query or data text skips them with these.
"""

from __future__ import annotations

import re

STRING = (
    r"'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|"(?:[^"\\\n\r]|\\.)*"'
)
"""A string literal in any of its four forms (SPARQL 1.1 §19.8 [156] to [159], Turtle [22] to [25])."""

IRIREF = r'<[^<>"{}|^`\\\x00-\x20]*>'
"""An IRI reference (SPARQL 1.1 §19.8 [139], Turtle [18])."""

COMMENT = r"\#[^\n\r]*"
"""A comment, to the end of the line."""

STRING_LITERAL = re.compile(STRING, re.DOTALL)
OPAQUE = re.compile(f"{STRING}|{IRIREF}|{COMMENT}", re.DOTALL)
"""Text whose characters are not syntax: strings, IRIs, comments."""
