"""Building blocks shared by every spec kind.

Specs are strict: unknown keys are errors, types are not coerced (``"0.8"`` is not
a number), and free-form data lives only under ``meta``. Field docstrings are the
single source of the JSON Schema and of the spec reference page.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

API_VERSION = "charter/v1"
SUPPORTED_API_VERSIONS = (API_VERSION,)


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=False,
        allow_inf_nan=False,  # the loader refuses them too; this covers models built in code
    )


def _parse_date(value: Any) -> Any:
    # YAML 1.2 has no timestamp type: dates arrive as text and are parsed here.
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"expected a date as YYYY-MM-DD, got '{value}'") from None
    return value


Date = Annotated[dt.date, BeforeValidator(_parse_date), Field(json_schema_extra={"format": "date"})]

# Lower-case identifier: letters, digits, '.', '_' or '-'.
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=False)]
Text = Annotated[str, StringConstraints(max_length=20_000)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Url = Annotated[str, StringConstraints(pattern=r"^(https?://|mailto:)[^\s<>\"']+$", max_length=2000)]
Number = float  # strict floats still accept integers, never text or booleans
Meta = dict[str, Any]

ROLE_IDS = (
    "data-scientist",
    "ml-engineer",
    "ml-researcher",
    "data-platform-engineer",
    "mlops-engineer",
    "ml-auditor",
    "product-manager",
    "software-engineer",
)

PROCESS_IDS = (
    "development",
    "operationalisation",
    "continuous-training",
    "model-deployment",
    "prediction-serving",
    "continuous-monitoring",
    "management",
)


class Link(Model):
    title: NonEmpty
    """What the link points to."""
    url: Url
    """An http(s) or mailto address; other schemes are rejected."""
