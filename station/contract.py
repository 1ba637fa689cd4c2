"""The output contract of `station analyze` (docs/analysis-output.md), as a checker.

`validate_analysis(doc)` lists every way a document breaks the contract (empty = valid).
Tests run it on every document the station writes; outside tools may use it too.
"""
from __future__ import annotations

import math
from typing import Any

from station.form.rules import FAULT_LABELS
from station.model import ANGLES, JOINTS, VERDICTS

SCHEMA = "station.analysis/1"
# every profile's fault labels, one per rule of station.form.rules (the deadlift adds hips_shoot_up)
FAULTS: tuple[str, ...] = FAULT_LABELS
EXERCISES = ("rdl", "deadlift", "good_morning", "kettlebell_swing")
PATTERNS = ("hinge", "squat")
REP_METRICS = ("peak_hip_flexion", "knee_flexion_at_bottom", "peak_spine_flexion", "eccentric_s",
               "concentric_s", "lockout_hip_flexion", "max_lateral_shift")


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _vec3(x: Any) -> bool:
    return isinstance(x, list) and len(x) == 3 and all(_num(v) for v in x)


def validate_analysis(doc: Any, extra_faults: tuple[str, ...] = ()) -> list[str]:
    """Problems with an analysis document; [] when it meets the contract."""
    errs: list[str] = []
    if not isinstance(doc, dict):
        return ["document is not a JSON object"]
    for key in ("schema", "recording", "exercise", "floor", "frames", "reps", "rep_count"):
        if key not in doc:
            errs.append(f"missing top-level key {key!r}")
    if errs:
        return errs
    if doc["schema"] != SCHEMA:
        errs.append(f"schema is {doc['schema']!r}, expected {SCHEMA!r}")
    if not isinstance(doc["recording"], str) or not isinstance(doc["exercise"], str):
        errs.append("recording and exercise must be strings")
    floor = doc["floor"]
    if floor is not None:
        if not (isinstance(floor, dict) and _vec3(floor.get("normal")) and _num(floor.get("d"))):
            errs.append("floor must be {normal: [x,y,z], d: number}")
        elif abs(math.sqrt(sum(v * v for v in floor["normal"])) - 1.0) > 1e-3:
            errs.append("floor.normal is not a unit vector")
    frames = doc["frames"]
    if not isinstance(frames, list):
        return errs + ["frames must be a list"]
    last_t = -math.inf
    for i, fr in enumerate(frames):
        where = f"frames[{i}]"
        if not isinstance(fr, dict) or not _num(fr.get("t")) or not isinstance(fr.get("tracked"), bool):
            errs.append(f"{where}: needs numeric t and boolean tracked")
            continue
        if fr["t"] < last_t:
            errs.append(f"{where}: t goes backwards")
        last_t = fr["t"]
        if fr["tracked"]:
            joints = fr.get("joints")
            if not isinstance(joints, dict) or set(joints) != set(JOINTS):
                errs.append(f"{where}: tracked frames need exactly the fifteen joints")
            elif not all(_vec3(v) for v in joints.values()):
                errs.append(f"{where}: joints must be [x, y, z] numbers")
            angles = fr.get("angles")
            if not isinstance(angles, dict) or not set(ANGLES) <= set(angles):
                errs.append(f"{where}: tracked frames need every contract angle")
            elif not all(_num(angles[k]) for k in ANGLES):
                errs.append(f"{where}: angles must be finite numbers")
            conf = fr.get("confidence")
            if conf is not None and not (isinstance(conf, dict) and set(conf) <= set(JOINTS)
                                         and all(_num(v) and 0.0 <= v <= 1.0 for v in conf.values())):
                errs.append(f"{where}: confidence must map joint names to values within 0..1")
            aconf = fr.get("angle_confidence")
            if aconf is not None and not (isinstance(aconf, dict) and set(aconf) <= set(ANGLES)
                                          and all(_num(v) and 0.0 <= v <= 1.0 for v in aconf.values())):
                errs.append(f"{where}: angle_confidence must map angle names to values within 0..1")
        elif "joints" in fr or "angles" in fr or "angle_confidence" in fr:
            errs.append(f"{where}: untracked frames omit joints and angles")
    reps = doc["reps"]
    if not isinstance(reps, list):
        return errs + ["reps must be a list"]
    if doc["rep_count"] != len(reps):
        errs.append(f"rep_count {doc['rep_count']} != number of reps {len(reps)}")
    allowed = set(FAULTS) | set(extra_faults)
    for i, r in enumerate(reps):
        where = f"reps[{i}]"
        if not isinstance(r, dict) or not all(_num(r.get(k)) for k in ("start_t", "bottom_t", "end_t")):
            errs.append(f"{where}: needs numeric start_t, bottom_t, end_t")
            continue
        if not r["start_t"] <= r["bottom_t"] <= r["end_t"]:
            errs.append(f"{where}: times out of order")
        if r.get("pattern") not in PATTERNS:
            errs.append(f"{where}: pattern must be one of {PATTERNS}")
        faults = r.get("faults")
        if not isinstance(faults, list) or not set(faults) <= allowed:
            errs.append(f"{where}: faults must be a list of known labels, got {faults!r}")
        verdict = r.get("verdict")
        not_judged = r.get("not_judged", [])
        if verdict is not None and verdict not in VERDICTS:
            errs.append(f"{where}: verdict must be one of {VERDICTS}, got {verdict!r}")
        if not isinstance(not_judged, list) or not set(not_judged) <= allowed:
            errs.append(f"{where}: not_judged must be a list of known labels, got {not_judged!r}")
        elif isinstance(faults, list) and verdict is not None:
            expect = "fault" if faults else ("not judged" if not_judged else "clean")
            if verdict != expect:
                errs.append(f"{where}: verdict {verdict!r} disagrees with faults/not_judged ({expect!r})")
        if "exercise" in r and not (isinstance(r["exercise"], str) and r["exercise"]):
            errs.append(f"{where}: exercise must be a profile name, got {r['exercise']!r}")
        metrics = r.get("metrics")
        if not isinstance(metrics, dict) or not all(_num(metrics.get(k)) for k in REP_METRICS):
            errs.append(f"{where}: metrics must include {', '.join(REP_METRICS)}")
    return errs
