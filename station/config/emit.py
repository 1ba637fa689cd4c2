"""The effective configuration as TOML text (and TOML rendering of values for messages)."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(k: str) -> str:
    return k if _BARE_KEY.match(k) else json.dumps(k, ensure_ascii=False)


def _toml_value(v: Any) -> str:
    """A Python value rendered as a TOML value (also used to quote bad values in errors)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, (str, Path)):
        return json.dumps(str(v), ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(str(k))} = {_toml_value(x)}" for k, x in v.items()) + "}"
    if v is None:
        return "(nothing)"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return json.dumps(str(v))


def _emit(lines: list[str], prefix: str, table: dict[str, Any]) -> None:
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, dict) and v is not None]
    subs = [(k, v) for k, v in table.items() if isinstance(v, dict)]
    if prefix and (scalars or not subs):
        lines.append("")
        lines.append(f"[{prefix}]")
    for k, v in scalars:
        lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
    for k, v in subs:
        _emit(lines, f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k), v)


def effective_config_toml(cfg: BaseModel) -> str:
    """The effective config (every key, defaults filled in, paths resolved) as TOML.

    Loading the text again gives an equal config. Works for an ExerciseProfile too.
    """
    lines = ["# Effective configuration: every key with its value in force (generated)."]
    _emit(lines, "", cfg.model_dump(mode="python"))
    return "\n".join(lines).strip("\n") + "\n"
