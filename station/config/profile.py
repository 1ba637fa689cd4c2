"""Exercise profile models (config/exercises/<name>.toml), derived from the form rules.

The rule tables ([rules.<label>]) and [squat_recognition] are not written here: their models
are built from the dataclasses in :mod:`station.form.rules`, the one declaration of each
rule (its keys, defaults, allowed range, unit and strictness scale live there as field
metadata). This module adds what a TOML file needs on top: strict types, the "allowed" text
of each key's error message, "off" for a threshold that may be switched off, and the check
that a cue key names a cue text. [reps] (the rep detector) and [muscles] are declared here.
"""
from __future__ import annotations

import dataclasses
import difflib
from typing import Any, Literal

from pydantic import ValidationInfo, create_model, field_validator, model_validator

from station.config.errors import _custom
from station.config.fields import OptionalThreshold, _Section, _allowed, _rng
from station.form import rules as form_rules
from station.model import MUSCLES

# strictness level -> factor applied to every tolerance of a profile (see
# ExerciseProfile.with_strictness). "standard" is the profile as written.
STRICTNESS_FACTORS: dict[str, float] = {"lenient": 1.25, "standard": 1.0, "strict": 0.8}

_CUE_ALLOWED = ("a cue key that names a cue text in station/form/texts.py (e.g. \"push_hips_back\", "
                "\"brace_flat_back\", \"hips_square\")")
_CUE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
Phase = Literal["lowering", "bottom", "rising", "top", "after_rep"]
_PHASE_ALLOWED = "one of \"lowering\", \"bottom\", \"rising\", \"top\", \"after_rep\""


class _Rule(_Section):
    """Fields every rule has: on/off, cue priority, the cue's text key and when to show it."""

    enabled: bool
    priority: int
    cue: str
    cue_phase: Phase

    @field_validator("cue")
    @classmethod
    def _cue_has_text(cls, v: str) -> str:
        # the lifter must never read a key spelled out ("Push hipz back")
        from station.form.texts import TEXTS_EN

        if v not in TEXTS_EN:
            close = difflib.get_close_matches(v, list(TEXTS_EN), n=1)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"no cue text has this key{hint}")
        return v


def _threshold_field(f: dataclasses.Field) -> tuple[Any, Any]:
    """(type, pydantic Field) of one threshold of a rule dataclass, from its metadata."""
    lo, hi = f.metadata["range"]
    unit = f.metadata["unit"]
    if not f.metadata.get("off"):
        kind = int if isinstance(f.default, int) and not isinstance(f.default, bool) else float
        return kind, _rng(f.default, lo, hi, unit)
    text = f"a number from {lo:g} to {hi:g} {unit}".rstrip() + ", or \"off\""
    return OptionalThreshold, _allowed(f.default, text, ge=lo, le=hi)


def _rule_model(cls: type[form_rules.Rule]) -> type[_Rule]:
    """The profile model of one rule: the TOML keys and defaults of its dataclass, plus enabled."""
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    lo, hi = form_rules.PRIORITY_RANGE
    spec: dict[str, Any] = {
        "enabled": (bool, _allowed(cls.enabled_by_default, "true or false")),
        "priority": (int, _rng(defaults["priority"], lo, hi, form_rules.PRIORITY_UNIT)),
        "cue": (str, _allowed(defaults["cue"], _CUE_ALLOWED, pattern=_CUE_PATTERN)),
        "cue_phase": (Phase, _allowed(defaults["cue_phase"], _PHASE_ALLOWED)),
    }
    spec.update({f.name: _threshold_field(f) for f in form_rules.threshold_fields(cls)})
    name = "".join(part.title() for part in cls.name.split("_")) + "Rule"
    return create_model(name, __base__=_Rule, __doc__=cls.__doc__, __module__=__name__, **spec)


RULE_MODELS: dict[str, type[_Rule]] = {n: _rule_model(c) for n, c in form_rules.RULE_TYPES.items()}
RULE_NAMES: tuple[str, ...] = tuple(RULE_MODELS)

Rules = create_model(
    "Rules", __base__=_Section, __module__=__name__,
    __doc__="Every rule the evaluator knows. A rule absent from a profile keeps these defaults "
            "(the rdl numbers of the analysis contract); hips_shoot_up is off unless enabled.",
    **{n: (m, m()) for n, m in RULE_MODELS.items()})


class RepDetection(_Section):
    """Hip-flexion thresholds of the rep state machine (standing -> lowering -> bottom ->
    rising -> lockout). start_position "bottom" is for lifts that begin on the floor (the
    deadlift): each rep is rising -> lockout -> lowering -> rest at the bottom."""

    start_position: Literal["top", "bottom"] = _allowed("top", "\"top\" or \"bottom\"")
    leave_upright_hip_flexion_deg: float = _rng(20.0, 5.0, 60.0, "degrees")
    min_bottom_hip_flexion_deg: float = _rng(40.0, 10.0, 150.0, "degrees")
    bottom_hysteresis_deg: float = _rng(5.0, 1.0, 30.0, "degrees")
    back_upright_hip_flexion_deg: float = _rng(30.0, 5.0, 90.0, "degrees")
    settle_velocity_deg_s: float = _rng(30.0, 1.0, 500.0, "degrees per second")
    settle_s: float = _rng(0.2, 0.0, 2.0, "seconds")
    min_rep_s: float = _rng(0.6, 0.1, 10.0, "seconds")
    max_rep_s: float = _rng(20.0, 1.0, 120.0, "seconds")

    @model_validator(mode="after")
    def _ordered(self) -> "RepDetection":
        if self.leave_upright_hip_flexion_deg + self.bottom_hysteresis_deg >= self.min_bottom_hip_flexion_deg:
            raise _custom("leave_upright_hip_flexion_deg", self.leave_upright_hip_flexion_deg,
                          "must be below min_bottom_hip_flexion_deg - bottom_hysteresis_deg "
                          f"({self.min_bottom_hip_flexion_deg:g} - {self.bottom_hysteresis_deg:g})")
        if self.back_upright_hip_flexion_deg >= self.min_bottom_hip_flexion_deg:
            raise _custom("back_upright_hip_flexion_deg", self.back_upright_hip_flexion_deg,
                          f"must be below min_bottom_hip_flexion_deg ({self.min_bottom_hip_flexion_deg:g})")
        if self.min_rep_s >= self.max_rep_s:
            raise _custom("min_rep_s", self.min_rep_s,
                          f"must be below max_rep_s ({self.max_rep_s:g})")
        return self


SquatRecognition = create_model(
    "SquatRecognition", __base__=_Section, __module__=__name__, __doc__=form_rules.SquatRecognition.__doc__,
    **{f.name: _threshold_field(f) for f in form_rules.threshold_fields(form_rules.SquatRecognition)})

_MUSCLE_ALLOWED = "a list of: " + ", ".join(MUSCLES)
Muscle = Literal[MUSCLES]  # type: ignore[valid-type]


class Muscles(_Section):
    """What the overlay shows the lifter: the muscles that drive the movement, those that
    hold the spine isometrically, and those that brace the trunk."""

    drive: list[Muscle] = _allowed(["glutes", "hamstrings"], _MUSCLE_ALLOWED)
    isometric: list[Muscle] = _allowed(["erector_spinae"], _MUSCLE_ALLOWED)
    brace: list[Muscle] = _allowed(["abdominals", "lats"], _MUSCLE_ALLOWED)


class ExerciseProfile(_Section):
    """One exercise profile (config/exercises/<name>.toml)."""

    name: str = _allowed(..., "the file's name without .toml", pattern=r"^[a-z][a-z0-9_]*$")
    title: str = _allowed(..., "any text up to 60 characters", min_length=1, max_length=60)
    implement: Literal["barbell", "kettlebell", "dumbbells", "any"] = _allowed(
        "any", "one of \"barbell\", \"kettlebell\", \"dumbbells\", \"any\"")
    muscles: Muscles = Muscles()
    reps: RepDetection = RepDetection()
    squat_recognition: SquatRecognition = SquatRecognition()  # type: ignore[valid-type]
    rules: Rules = Rules()  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _name_matches_file(self, info: ValidationInfo) -> "ExerciseProfile":
        stem = (info.context or {}).get("file_stem")
        if stem is not None and self.name != stem:
            raise _custom("name", self.name, f"must equal the file's name \"{stem}\"")
        return self

    def enabled_rules(self) -> dict[str, _Rule]:
        """name -> rule for the enabled rules, most important (lowest priority) first."""
        rules = {n: getattr(self.rules, n) for n in RULE_NAMES if getattr(self.rules, n).enabled}
        return dict(sorted(rules.items(), key=lambda kv: kv[1].priority))

    def with_strictness(self, level: str) -> "ExerciseProfile":
        """The profile with every tolerance scaled for a strictness level.

        "standard" returns the profile unchanged; "strict" multiplies each limit by 0.8
        (max_* limits shrink, negative min_* limits move towards 0) and divides each required
        minimum (min_eccentric_s, min_hip_to_knee_ratio) by it; "lenient" uses 1.25. Which
        is which is the rule's field metadata (station.form.rules.threshold).
        """
        factor = STRICTNESS_FACTORS[level]
        if factor == 1.0:
            return self
        updates: dict[str, Any] = {}
        for name, cls in form_rules.RULE_TYPES.items():
            rule = getattr(self.rules, name)
            changed: dict[str, Any] = {}
            for f in form_rules.threshold_fields(cls):
                value, scale = getattr(rule, f.name), f.metadata["scale"]
                if value is None or scale is None:
                    continue
                scaled = value * factor if scale == "mul" else value / factor
                changed[f.name] = round(scaled, 6)
            updates[name] = rule.model_copy(update=changed)
        return self.model_copy(update={"rules": self.rules.model_copy(update=updates)})
