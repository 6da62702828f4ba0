"""The README's settings table, generated from the Settings model.

`python -m domain.settings_doc` prints it; `python -m domain.settings_doc README.md` rewrites the table in that
file. A test compares the README with it, so a new field cannot go undocumented.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic.fields import FieldInfo

from domain.settings import Settings

__all__ = ["env_name", "replace_table", "settings_table"]

_HEADER = "| setting | default | what |"


def env_name(name: str, field: FieldInfo) -> str:
    """The environment variable a field is read from (its alias, else `TASKLOOM_<NAME>`)."""
    alias = field.validation_alias
    return alias if isinstance(alias, str) else "TASKLOOM_" + name.upper()


def _default(value: object) -> str:
    if value == "":
        return "(empty)"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def settings_table() -> str:
    """The Markdown table: one row per Settings field, in declaration order."""
    rows = [_HEADER, "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        rows.append(f"| `{env_name(name, field)}` | `{_default(field.default)}` | {field.description} |")
    return "\n".join(rows) + "\n"


def replace_table(text: str) -> str:
    """`text` (the README) with its settings table, from the header row to the first blank line, regenerated."""
    start = text.index(_HEADER)
    end = text.index("\n\n", start) + 1
    return text[:start] + settings_table() + text[end:]


if __name__ == "__main__":
    if len(sys.argv) > 1:
        readme = Path(sys.argv[1])
        readme.write_text(replace_table(readme.read_text()))
    else:
        print(settings_table(), end="")
