"""executionConfig of a GHL_ACTION task: one GoHighLevel call (contacts, tags, notes, SMS, opportunities).

Needs TASKLOOM_GHL_API_KEY (checked by `validate_config`); `locationId` defaults to TASKLOOM_GHL_LOCATION_ID.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self, get_args

from pydantic import Field, StrictFloat, model_validator

from ._base import ConfigModel, NonBlankStr, rule_error

__all__ = ["GHL_ACTIONS", "GhlActionConfig"]

GhlActionName = Literal[
    "add_contact",
    "update_contact",
    "upsert_contact",
    "send_sms",
    "create_opportunity",
    "add_tag",
    "remove_tag",
    "add_note",
]

#: Every ghlAction, in the order API.md lists them.
GHL_ACTIONS: tuple[str, ...] = get_args(GhlActionName)

#: Per action: keys that must all be given, then groups of which at least one key must be given.
#: From GHL_API.md: create needs only locationId, but a contact with no name, email or phone is useless;
#: upsert matches on email or phone.
_NEEDS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = {
    "add_contact": ((), (("email", "phone", "firstName", "name"),)),
    "update_contact": (("contactId",), ()),
    "upsert_contact": ((), (("email", "phone"),)),
    "add_tag": (("contactId", "tags"), ()),
    "remove_tag": (("contactId", "tags"), ()),
    "add_note": (("contactId", "body"), ()),
    "send_sms": (("contactId", "message"), ()),
    "create_opportunity": (("pipelineId", "name", "status", "contactId"), ()),
}


class GhlActionConfig(ConfigModel):
    """One GoHighLevel action and its fields; the result is the GHL entity, e.g. `{contact: {...}}`."""

    ghl_action: GhlActionName
    contact_id: NonBlankStr | None = None
    first_name: NonBlankStr | None = None
    last_name: NonBlankStr | None = None
    name: NonBlankStr | None = None
    email: NonBlankStr | None = None
    phone: NonBlankStr | None = None
    tags: Annotated[list[NonBlankStr], Field(min_length=1)] | None = None
    message: NonBlankStr | None = None
    pipeline_id: NonBlankStr | None = None
    pipeline_stage_id: NonBlankStr | None = None
    monetary_value: Annotated[StrictFloat, Field(ge=0)] | None = None
    status: Literal["open", "won", "lost", "abandoned"] | None = None
    body: NonBlankStr | None = None
    location_id: NonBlankStr | None = None

    @model_validator(mode="after")
    def _action_has_its_fields(self) -> Self:
        given = {key for key, value in self.model_dump(by_alias=True).items() if value is not None}
        required, one_of_groups = _NEEDS[self.ghl_action]
        for key in required:
            if key not in given:
                raise rule_error(
                    key, f"ghlAction '{self.ghl_action}' needs '{key}' (it needs: {', '.join(required)})"
                )
        for group in one_of_groups:
            if not given.intersection(group):
                raise rule_error(
                    group[0],
                    f"ghlAction '{self.ghl_action}' needs at least one of "
                    f"{', '.join(repr(k) for k in group)}",
                )
        return self
