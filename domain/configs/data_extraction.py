"""executionConfig of a DATA_EXTRACTION task: read data from a page, by CSS selectors or by an LLM.

Selector mode gives `fields`; LLM mode gives `instruction` and a JSON Schema `schema` for the answer and
needs TASKLOOM_LLM_BASE_URL (checked by `validate_config`).
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import Field, StrictBool, field_validator, model_validator

from ._base import ConfigModel, HttpUrlStr, NonBlankStr, rule_error

__all__ = ["JSON_SCHEMA_TYPES", "DataExtractionConfig", "ExtractField"]

#: The type names a JSON Schema may use.
JSON_SCHEMA_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


class ExtractField(ConfigModel):
    """Where one value is: the text (or `attribute`) of the first (or, with `all`, every) match."""

    selector: NonBlankStr
    attribute: NonBlankStr | None = None
    all: StrictBool = False


class DataExtractionConfig(ConfigModel):
    """A page and what to read from it; the result is `{data, url}`."""

    url: HttpUrlStr
    fields: Annotated[dict[NonBlankStr, ExtractField], Field(min_length=1)] | None = None
    instruction: NonBlankStr | None = None
    # "schema" would shadow BaseModel.schema(), hence the attribute name.
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    wait_for: NonBlankStr | None = None
    remote_browser: StrictBool = False

    @field_validator("json_schema")
    @classmethod
    def _is_a_json_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        if "type" not in value and "properties" not in value:
            raise ValueError(
                'must be a JSON Schema object with "type" or "properties", e.g. '
                '{"type": "object", "properties": {"price": {"type": "number"}}}'
            )
        kinds = value.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds] if kinds is not None else []
        unknown = [k for k in kinds if k not in JSON_SCHEMA_TYPES]
        if unknown:
            raise ValueError(
                f"unknown JSON Schema type {unknown[0]!r} (allowed: {', '.join(sorted(JSON_SCHEMA_TYPES))})"
            )
        if "properties" in value and not isinstance(value["properties"], dict):
            raise ValueError('"properties" must be an object mapping names to schemas')
        return value

    @property
    def uses_llm(self) -> bool:
        """Whether this extraction asks an LLM (instruction + schema) rather than reading selectors."""
        return self.instruction is not None

    @model_validator(mode="after")
    def _one_mode(self) -> Self:
        llm = self.instruction is not None or self.json_schema is not None
        if self.fields is not None and llm:
            raise rule_error(
                "fields", "give either 'fields' (selectors) or 'instruction' + 'schema' (LLM), not both"
            )
        if self.fields is None and not llm:
            raise rule_error(
                "fields",
                "say what to extract: 'fields' ({name: {selector}}) or 'instruction' + 'schema' (LLM mode)",
            )
        if llm and self.instruction is None:
            raise rule_error("instruction", "'schema' needs an 'instruction' telling the LLM what to extract")
        if llm and self.json_schema is None:
            raise rule_error("schema", "'instruction' needs a 'schema' (JSON Schema) describing the answer")
        return self
