"""The README's settings table is the one the Settings model generates (`python -m domain.settings_doc
README.md` regenerates it)."""

from __future__ import annotations

from pathlib import Path

from domain.settings_doc import replace_table, settings_table


def test_the_readme_lists_every_setting_as_generated(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text()
    assert settings_table() in readme, "run: .venv/bin/python -m domain.settings_doc README.md"


def test_the_table_names_aliased_settings_by_their_own_variable() -> None:
    table = settings_table()
    assert "| `OTEL_EXPORTER_OTLP_ENDPOINT` | `(empty)` |" in table
    assert "| `TASKLOOM_METRICS_ENABLED` | `true` |" in table
    assert replace_table("intro\n\n| setting | default | what |\n| old |\n\nrest\n") == \
        "intro\n\n" + table + "\nrest\n"
