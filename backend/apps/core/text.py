"""Text that is safe to write anywhere: exports (XML-based XLSX/DOCX, CSV) and single-line fields.

Two rules, used at the edges:
- `export_safe(value)`: what every file writer applies to stored text. XML 1.0 (inside .xlsx and
  .docx) forbids most C0 controls, lone surrogates and the non-characters U+FFFE/U+FFFF; one such
  character in one firm's notes used to make an export answer 500 for everyone. They are removed
  (tab, line feed and carriage return stay: multi-line notes keep their lines). The non-characters
  U+FDD0–U+FDEF and U+nFFFE/U+nFFFF go too, which no spreadsheet shows.
- `single_line(value)` / `line_break_in(value)`: names, codes, addresses, phone numbers, titles are
  one line. A line break there breaks e-mail headers, CSV consumers and robots' titles. The API
  refuses such a value (400, naming the field); imports replace each such character by a space
  (Excel's Alt+Enter is common in pasted names) and say so in the dry run.
"""

from __future__ import annotations

import re

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]; plus non-characters.
_EXPORT_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17))
    + "]"
)

# Everything that starts a new line or is an invisible control in a one-line value: C0 controls
# (tab included), DEL, C1 controls (U+0085 NEL among them), U+2028/U+2029, plus what XML forbids.
_NOT_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def export_safe(value: str) -> str:
    """`value` without the characters a file format cannot hold (see the module doc)."""
    if value.isprintable() or not _EXPORT_UNSAFE.search(value):
        return value
    return _EXPORT_UNSAFE.sub("", value)


def line_break_in(value: str) -> bool:
    """True when `value` holds a line break or control character a one-line field must not."""
    return bool(_NOT_SINGLE_LINE.search(value))


def single_line(value: str) -> str:
    """`value` with each line break or control character replaced by a space (runs collapse), trimmed."""
    if not line_break_in(value):
        return value
    return re.sub(" {2,}", " ", _NOT_SINGLE_LINE.sub(" ", value)).strip()
