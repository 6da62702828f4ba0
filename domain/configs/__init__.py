"""executionConfig schemas: one frozen pydantic model per task type, shared by the API and the executors.

The API validates a task's config at create and update (`validate_config`), stores `normalized(model)`,
and shows it with `mask_secrets`; an update goes through `merge_secrets` first. Executors receive the
model. Keys, defaults and rules follow API.md, "executionConfig per task type".
"""

from __future__ import annotations

from ._base import MAX_TIMEOUT_MS, ConfigModel
from ._secrets import SECRET_MASK, mask_secrets, merge_secrets
from ._validation import CONFIG_MODELS, normalized, validate_config
from .api_call import DEFAULT_API_KEY_HEADER, DEFAULT_API_TIMEOUT_MS, ApiCallConfig
from .browser_automation import (
    DEFAULT_STEP_TIMEOUT_MS,
    MAX_STEPS,
    STEP_ACTIONS,
    BrowserAutomationConfig,
    BrowserStep,
    ClickStep,
    ExtractStep,
    NavigateStep,
    PressStep,
    ScreenshotStep,
    SelectStep,
    TypeStep,
    Viewport,
    WaitStep,
)
from .data_extraction import DataExtractionConfig, ExtractField
from .ghl_action import GHL_ACTIONS, GhlActionConfig
from .notification import NotificationConfig
from .reminder import MAX_REMINDER_DELAY_MINUTES, ReminderConfig
from .report_generation import NotifyTarget, ReportGenerationConfig

# Grouped by what a caller wants, as STYLE.md asks, rather than alphabetically.
__all__ = [  # noqa: RUF022
    # validation and storage
    "CONFIG_MODELS",
    "normalized",
    "validate_config",
    # secrets
    "SECRET_MASK",
    "mask_secrets",
    "merge_secrets",
    # models
    "ApiCallConfig",
    "BrowserAutomationConfig",
    "ConfigModel",
    "DataExtractionConfig",
    "GhlActionConfig",
    "NotificationConfig",
    "ReminderConfig",
    "ReportGenerationConfig",
    # parts of models
    "BrowserStep",
    "ClickStep",
    "ExtractField",
    "ExtractStep",
    "NavigateStep",
    "NotifyTarget",
    "PressStep",
    "ScreenshotStep",
    "SelectStep",
    "TypeStep",
    "Viewport",
    "WaitStep",
    # limits and defaults
    "DEFAULT_API_KEY_HEADER",
    "DEFAULT_API_TIMEOUT_MS",
    "DEFAULT_STEP_TIMEOUT_MS",
    "GHL_ACTIONS",
    "MAX_REMINDER_DELAY_MINUTES",
    "MAX_STEPS",
    "MAX_TIMEOUT_MS",
    "STEP_ACTIONS",
]
