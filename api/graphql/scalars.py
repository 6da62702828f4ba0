"""The DateTime scalar of API.md: inputs must carry an offset; outputs are UTC with an offset."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NewType

import strawberry

__all__ = ["SCALAR_OVERRIDES", "DateTime"]


def _parse(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("a DateTime is an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset; add one, e.g. {value}+00:00")
    return parsed.astimezone(UTC)


def _serialize(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


DateTime = strawberry.scalar(
    NewType("DateTime", datetime),
    name="DateTime",
    description="ISO 8601; inputs without an offset are rejected; outputs are UTC",
    serialize=_serialize,
    parse_value=_parse,
)

#: Every `datetime` annotation in the schema uses this scalar.
SCALAR_OVERRIDES = {datetime: DateTime}
