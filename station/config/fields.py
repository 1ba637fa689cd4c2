"""Field helpers shared by the station and profile models: ranges with their "allowed" text,
thresholds that may be "off", paths relative to the config file, the strict base section."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Annotated, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationInfo

def _rng(default: Any, lo: float, hi: float, unit: str, **kw: Any) -> Any:
    kind = "an integer" if isinstance(default, int) and not isinstance(default, bool) else "a number"
    return Field(default, ge=lo, le=hi,
                 json_schema_extra={"allowed": f"{kind} from {lo:g} to {hi:g} {unit}".rstrip(),
                                    **kw.pop("extra", {})}, **kw)


def _allowed(default: Any, allowed: str, **kw: Any) -> Any:
    return Field(default, json_schema_extra={"allowed": allowed, **kw.pop("extra", {})}, **kw)


def _off_to_none(v: Any) -> Any:
    return None if v == "off" else v


# A threshold that may be switched off with the string "off" (TOML has no null).
OptionalThreshold = Annotated[
    Optional[float],
    BeforeValidator(_off_to_none),
    PlainSerializer(lambda v: "off" if v is None else v),
]


def _resolve_path(v: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    if base is not None and not v.is_absolute():
        return Path(base) / v
    return v


_PathField = Annotated[Path, Field(strict=False)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
