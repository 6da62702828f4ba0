"""The README's settings table, generated from the Settings model: `python -m domain.settings_doc` prints it.

A test compares the README with it, so a new field cannot go undocumented.
"""

from __future__ import annotations

from pydantic.fields import FieldInfo

from domain.settings import Settings

__all__ = ["env_name", "settings_table"]


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
    rows = ["| setting | default | what |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        rows.append(f"| `{env_name(name, field)}` | `{_default(field.default)}` | {field.description} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(settings_table(), end="")
