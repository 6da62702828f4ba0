"""The per-request GraphQL context: who calls, the process's collaborators, and fresh DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from strawberry.types import Info as _Info

from domain.egress import EgressPolicy
from domain.services.api_keys import Principal
from domain.services.effects import Effects
from domain.services.task_rules import Capabilities
from domain.settings import Settings

if TYPE_CHECKING:
    from api.graphql.loaders import Loaders
    from api.live import Hub

__all__ = ["Context", "Info", "Services"]


@dataclass(frozen=True)
class Services:
    """What the app's lifespan opened once for the whole process."""

    settings: Settings
    effects: Effects
    egress: EgressPolicy
    hub: Hub

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(llm_configured=self.settings.llm_configured,
                            ghl_configured=self.settings.ghl_configured)


@dataclass
class Context:
    principal: Principal
    services: Services
    loaders: Loaders
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def workspace_id(self) -> str:
        return self.principal.workspace_id


Info = _Info[Context, None]
