"""Configuration errors and their messages: every problem names the file, the key path, the
bad value and what is allowed.

:class:`Problem` is one thing wrong with one file; :class:`ConfigError` carries all of them.
:func:`translate` turns pydantic's validation errors into Problems (the "allowed" text of a
field comes from its ``json_schema_extra``); model validators raise :func:`custom` errors
that point at one key of their model.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional, Union, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from station.config.emit import _toml_value

@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file. ``key`` is a dotted path, None for a whole-file problem."""

    file: str
    key: Optional[str]
    value: Optional[str]  # the offending value, rendered as TOML; None when not applicable
    message: str
    line: Optional[int] = None
    column: Optional[int] = None

    def __str__(self) -> str:
        value = self.value
        if value is not None and len(value) > 80:
            value = value[:77] + "..."
        where = self.file
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        if self.key is None:
            return f"{where}: {self.message}"
        if value is None:
            return f"{where}: {self.key} — {self.message}"
        return f"{where}: {self.key} = {value} — {self.message}"


class ConfigError(Exception):
    """A configuration file is missing, unreadable, or has bad content.

    ``problems`` lists every problem found (at least one); ``str()`` is one line per problem,
    each naming the file, the key path, the bad value and what is allowed.
    """

    def __init__(self, problems: Union[list[Problem], Problem, str]):
        if isinstance(problems, str):
            problems = [Problem(file="<config>", key=None, value=None, message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        lines = [str(p) for p in self.problems]
        if len(lines) > 1:
            lines.insert(0, f"{len(lines)} configuration problems:")
        super().__init__("\n".join(lines))

    @property
    def file(self) -> str:
        return self.problems[0].file

    @property
    def key(self) -> Optional[str]:
        return self.problems[0].key


def _custom(key: str, value: Any, message: str) -> PydanticCustomError:
    """An error raised inside a model validator that points at one key of that model."""
    return PydanticCustomError("station_config", "{message}",
                               {"message": message, "key": key, "value": value})


def unknown_profile_message(name: str, have: list[str], where: Path) -> str:
    msg = f"no such exercise profile in {where}; available: {', '.join(have) or '(none)'}"
    close = difflib.get_close_matches(name, have, n=1)
    if close:
        msg += f" — did you mean '{close[0]}'?"
    return msg


# what a TOML value is, in words (bool before int: True is an int in Python)
_TOML_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "true/false"), (int, "an integer"), (float, "a number"), (str, "a string"),
    (list, "a list"), (dict, "a table"),
)


def _toml_kind(v: Any) -> str:
    return next((kind for t, kind in _TOML_KINDS if isinstance(v, t)), "a date/time")


_EXPECTED = {
    "int_type": "an integer", "float_type": "a number", "string_type": "a string (in quotes)",
    "bool_type": "true or false", "list_type": "a list [...]", "model_type": "a table",
    "dict_type": "a table", "path_type": "a path string (in quotes)",
    "model_attributes_type": "a table",
}


def _field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The FieldInfo of the key an error location points at (list indices skipped), or None."""
    names = tuple(part for part in loc if not isinstance(part, int))
    if not names:
        return None
    holder = _model_at(model, names[:-1])
    return holder.model_fields.get(names[-1]) if holder else None


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Optional[type[BaseModel]]:
    """The model class that validates the table at `loc`."""
    cur: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(cur, type) and issubclass(cur, BaseModel)) or part not in cur.model_fields:
            return None
        cur = _inner_model(cur.model_fields[part].annotation)
    return cur


def _inner_model(ann: Any) -> Any:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for a in get_args(ann):
        m = _inner_model(a)
        if m is not None:
            return m
    return None


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _literal_args(info: Any) -> tuple[Any, ...]:
    """The allowed values of a Literal field (or of a list of Literals)."""
    ann = getattr(info, "annotation", None)
    while ann is not None:
        if getattr(ann, "__origin__", None) is Literal:
            return get_args(ann)
        args = get_args(ann)
        ann = args[0] if args else None
    return ()


def _allowed_text(info: Any) -> Optional[str]:
    extra = getattr(info, "json_schema_extra", None)
    if isinstance(extra, dict):
        return extra.get("allowed")  # type: ignore[return-value]
    return None


def _translate(err: ValidationError, model: type[BaseModel], file: str,
               skip: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        etype = e["type"]
        ctx = e.get("ctx") or {}
        if etype == "station_config":  # raised by a model validator, names its own key
            key = ".".join(x for x in (_key(loc), ctx["key"]) if x)
            p = Problem(file, key, _toml_value(ctx["value"]), ctx["message"])
        elif etype == "extra_forbidden":
            key = _key(loc)
            if key in skip:
                continue
            holder = _model_at(model, loc[:-1])
            names = list(holder.model_fields) if holder else []
            close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
            if close:
                msg = f"unknown key '{key}' — did you mean '{close[0]}'?"
            else:
                section = _key(loc[:-1]) or "the top level"
                msg = f"unknown key '{key}' — allowed in {section}: {', '.join(names)}"
            p = Problem(file, key, _toml_value(e["input"]), msg)
        else:
            key = _key(loc)
            info = _field_at(model, loc)
            allowed = _allowed_text(info)
            if etype == "missing":
                p = Problem(file, key, None, "missing; required: " + (allowed or "a value"))
            else:
                value = e.get("input")
                if etype in _EXPECTED:
                    reason = f"wrong type: expected {_EXPECTED[etype]}, got {_toml_kind(value)}"
                elif etype == "value_error":
                    reason = str(e["msg"]).removeprefix("Value error, ")
                elif etype in ("greater_than_equal", "less_than_equal", "greater_than",
                               "less_than"):
                    reason = "out of range"
                elif etype == "literal_error":
                    kinds = {_toml_kind(a) for a in _literal_args(info)}
                    if kinds and _toml_kind(value) not in kinds:
                        reason = (f"wrong type: expected {' or '.join(sorted(kinds))}, "
                                  f"got {_toml_kind(value)}")
                    else:
                        reason = "not one of the allowed values"
                elif etype == "string_pattern_mismatch":
                    reason = "wrong format"
                elif etype in ("string_too_long", "string_too_short"):
                    reason = str(e["msg"]).lower()
                elif etype == "finite_number":
                    reason = "must be a finite number"
                else:
                    reason = str(e["msg"])
                msg = reason + (f"; allowed: {allowed}" if allowed else "")
                p = Problem(file, key, _toml_value(value), msg)
        sig = (p.key or "", p.message)
        if sig not in seen:
            seen.add(sig)
            problems.append(p)
    return problems
