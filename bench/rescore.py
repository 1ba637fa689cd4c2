"""Score (and re-judge) takes saved by `bench/fitter.py --save DIR`, without fitting again.

A whole mesh library takes ~20 min to fit on two cores; its saved documents are scored in
seconds. Prints per body, split and lifter shape (the mesh library's A-R; "other" for the
original scenarios and the mocap clips): spine / hip / knee / trunk MAE (deg), MPJPE (mm),
tracked rate, macro F1, rounded_back precision and recall (true positives, false positives,
misses, and of the misses how many were called clean: "clr"), F1 of the other five labels, and
fault cues on clean reps (KD knee dominant, IL incomplete lockout, OE overextension, HS hip
shift, TF too fast). Every figure is station.scoring's, as in bench/fitter.py.

--replay judges the reps again with the CURRENT evaluator (the rdl profile, fixed exercise;
deadlifts from the floor the deadlift's, as their truth was labelled)
from the saved frames: the fitted angles, their confidence, the lifter's standing hip and the
track's identity as the pipeline gave them. An evaluator or gate change is then measured over
the whole library in a minute; the line "replay" says on how many takes the replayed reps
equal the saved ones (all, with the evaluator the takes were fitted with).

    NUMBA_NUM_THREADS=1 python bench/fitter.py --body mesh --split all --save runs/main
    python bench/rescore.py runs/main                      # the tables
    python bench/rescore.py runs/main runs/branch          # side by side
    python bench/rescore.py runs/main --replay             # the current evaluator on the same fits
    python bench/rescore.py runs/main --bottoms            # the angles' errors at the reps' bottoms
    python bench/rescore.py runs/main --curl               # the back as the fit's joints place it
    python bench/rescore.py runs/main --chord              # the hips and neck across the trunk at depth

--bottoms prints, per body, split and shape, the fitted minus the true spine, hip, knee and
trunk angles at the bottom of each clean rep (the truth's bottom_t) and at the peak of each
rounded one (the truth's deepest spine flexion in the rep), averaged over the tracked frames
within 3 frames of it. A rounded back is found when its peak reads over the rule: a per-body
offset there, the same on clean and rounded reps, is what a recall figure alone hides.
It then prints, per shape, where the fitted hips and neck sit while the lifter stands tall
(fitted minus truth, mm, in the lifter's own frame: + forward, + up), and the correlation
over shapes of the hips' forward and up offsets standing with the spine's offset at the clean
bottoms. Stop 79 (main dcaf921's fits), the 14 dev shapes: the women's fitted hips stand
12-16 mm above their femoral heads (B, D, F, M, O; Q level) and their flat backs read 8.1-14.3
deg extended at the bottom, the men's 12-37 mm below and -6 to +3 deg: r -0.84 for the height,
-0.37 for the forward offset. Stop 80 adds the legs' length (hip -> knee -> ankle, fitted minus
truth, standing): the women's 16-28 mm long (B, D, F, M, O; Q 8 short), the men's 9-42 mm
short, r -0.84 with the clean bottoms' spine (held out -1.00), the same as the hips' height:
the hips stand where the legs put them. Before stop 79 this table took the camera's depth
axis for up, so the "forward" offsets it printed were mostly these heights (the camera's own up; stop 51's "8-21 mm ahead of their
femoral heads", r -0.81), and stop 51's probe moved the thighs' pivot forward and back, along
an axis the table had not measured: the pivot moved 0.011 of stature back on D and O read
their bottoms 3 deg less extended (of 13), as far forward on A, C and H changed nothing, and
the fit's energy over bent frames did not find the pivot. The height was probed at stop 70
through the legs' length (docs/spine-limits.md, "Stop 70").

--curl prints, at the same bottoms and peaks, the head's bend over the chord from the hips to
the neck (curl_deg: the sagittal angle of neck -> head minus that of the hips' midpoint ->
neck, from the lifter's standing median), truth and fitted, beside the spine's error. It
reads where the fit puts the hips, the shoulders and the head, not how it turns the pelvis.
Stop 79 (main dcaf921's fits, dev): at the rounded peaks the fitted curl is +0.8 deg off the
truth's (x2, in the spine's units: +1.6) where the spine reads -10.0; the women D, O and Q
within 3.5 (x2) where their spines read 9.5-18.5 short. Per shape the curl's offsets spread
as widely (x2: -11.8 to +10.7 deg, the men over), but a rounding's increment over the same
lifter's clean bottoms is kept: -1.1 deg (x2) on average against the spine's -4.3.

--chord prints, at the same bottoms and peaks, where the fit's hips and neck sit in the truth
trunk's own frame (along the chord from the hips to the neck, and across it, + towards the
back), moved from where the fit stands them, and the chord's angle error (trunk_offsets,
chord_errors). Stop 80 (stop 80's fits, dev clean bottoms): from standing, the men's hips move
8-38 mm towards the belly side (median 25) and their necks 6-17 mm towards the back, the
chord -2.5 to -5.0 deg; the women's hips -14 to +16 mm, their chord within 2 deg. (Stop 79's
"neck 8-21 mm higher" was the world's up with a body-carried offset subtracted in it.)
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from station.scoring import FAULT_LABELS, Tally, score

HOLDOUT_NOTE = "holdout: report only, do not tune on it"
_SHORT = {"rounded_back": "RB", "knee_dominant": "KD", "incomplete_lockout": "IL", "overextension": "OE",
          "hip_shift": "HS", "too_fast": "TF"}


def load_saved(directory: str | Path) -> list[dict]:
    """The saved take documents in `directory`, by name (ValueError naming a file that is
    not one)."""
    out = []
    for path in sorted(Path(directory).glob("*.json.gz")):
        try:
            doc = json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, ValueError) as e:
            raise ValueError(f"{path}: not a saved take ({e})") from None
        for key in ("name", "body", "split", "truth", "result"):
            if key not in doc:
                raise ValueError(f"{path}: not a saved take (no {key!r})")
        out.append(doc)
    return out


def shape_of(name: str) -> str:
    """The mesh library's lifter shape (mesh_F_faults2 -> F); "other" for the rest."""
    parts = name.split("@")[0].split("_")
    return parts[1] if parts[0] == "mesh" and len(parts) > 2 and len(parts[1]) == 1 else "other"


def replay_reps(doc: dict) -> list[dict]:
    """The saved take's reps judged again by the current evaluator from its saved frames, with
    the profile that labelled its truth (rdl; deadlifts from the floor the deadlift's) (see the
    module docstring)."""
    from station.config import load_station_config
    from station.form.evaluator import FormEvaluator
    from station.model import ANGLES

    profile = doc["truth"].get("truth", {}).get("fault_profile", "rdl")
    ev = FormEvaluator.from_config(load_station_config(), profile)
    frames = doc["result"]["frames"]
    st = doc["result"].get("station", {})
    hips = st.get("standing_hip_deg") or [None] * len(frames)
    ids = st.get("track_id") or [0] * len(frames)
    notices = st.get("notice") or [None] * len(frames)
    last_id = 0
    for f, hip, tid, notice in zip(frames, hips, ids, notices):
        if tid != last_id:
            last_id = tid
            ev.new_person()
        angles = {k: f["angles"][k] for k in ANGLES} if f.get("tracked") and f.get("angles") else None
        conf = f.get("angle_confidence") if angles is not None else None
        ev.update(f["t"], angles, angle_confidence=conf, notice=notice, standing_hip_deg=hip)
    return [r.as_contract() for r in ev.finish()]


BOTTOM_HALF_FRAMES = 3
_BOTTOM_ANGLES = {"spine": ("spine_flexion",), "hip": ("hip_flexion_l", "hip_flexion_r"),
                  "knee": ("knee_flexion_l", "knee_flexion_r"), "trunk": ("trunk_inclination",)}


def rep_anchor(truth: list[dict], t: np.ndarray, rep: dict) -> tuple[str, int] | None:
    """("clean", the frame at the rep's bottom) for a truth rep without faults, ("rounded",
    the frame of its spine's peak) for a rounded one; None for other reps or an empty one.
    t: the truth frames' times, sorted."""
    faults = rep.get("faults") or []
    kind = "rounded" if "rounded_back" in faults else ("clean" if not faults else None)
    if kind is None:
        return None
    # the first frame at or after each time
    i0, i1, i_bottom = (int(i) for i in np.searchsorted(t, (rep["start_t"], rep["end_t"], rep["bottom_t"])))
    if i1 <= i0:
        return None
    if kind == "rounded":
        return kind, max(range(i0, i1), key=lambda i: truth[i]["angles"]["spine_flexion"])
    return kind, min(i_bottom, len(t) - 1)


def bottom_errors(doc: dict) -> list[dict]:
    """One row per clean or rounded truth rep of a saved take: {"kind": "clean" | "rounded",
    "truth_spine": deg, "spine" / "hip" / "knee" / "trunk": fitted minus truth, deg} at the
    rep's bottom (clean) or its spine's peak (rounded), averaged over the tracked frames within
    BOTTOM_HALF_FRAMES of it (hip and knee: the mean of left and right). Reps with other
    faults, or with no tracked frame there, give no row."""
    truth, fitted = doc["truth"]["frames"], doc["result"]["frames"]
    t = np.array([f["t"] for f in truth])
    out = []
    for rep in doc["truth"]["reps"]:
        anchor = rep_anchor(truth, t, rep)
        if anchor is None:
            continue
        kind, ib = anchor
        errs: dict[str, list[float]] = {k: [] for k in (*_BOTTOM_ANGLES, "truth_spine")}
        for i in range(max(0, ib - BOTTOM_HALF_FRAMES), min(len(t), ib + BOTTOM_HALF_FRAMES + 1)):
            f = fitted[i] if i < len(fitted) else {}
            if not f.get("tracked") or not f.get("angles"):
                continue
            a, b = f["angles"], truth[i]["angles"]
            for k, names in _BOTTOM_ANGLES.items():
                errs[k].append(sum(a[n] - b[n] for n in names) / len(names))
            errs["truth_spine"].append(b["spine_flexion"])
        if errs["spine"]:
            out.append({"kind": kind, **{k: sum(v) / len(v) for k, v in errs.items()}})
    return out


STANDING_MAX_TRUNK_DEG = 10.0   # "standing tall": the truth's trunk inclination under this


def floor_up(doc: dict) -> np.ndarray | None:
    """The truth's floor normal (camera frame, pointing up: docs/analysis-output.md), unit;
    None when the saved truth has no floor."""
    floor = doc["truth"].get("floor")
    if not floor or "normal" not in floor:
        return None
    up = np.asarray(floor["normal"], np.float64)
    return up / np.linalg.norm(up)


def lifter_forward(truth_joints: dict, up: np.ndarray) -> np.ndarray | None:
    """The lifter's forward (camera frame, unit): horizontal, square to the truth's hip line
    (left x up). None for a hip line along up."""
    left = np.subtract(truth_joints["hip_l"], truth_joints["hip_r"])
    left = left - up * (left @ up)
    if np.linalg.norm(left) < 1e-6:
        return None
    return np.cross(left / np.linalg.norm(left), up)


_LEG_JOINTS = ("hip_l", "knee_l", "ankle_l", "hip_r", "knee_r", "ankle_r")


def leg_length(joints: dict) -> float:
    """The legs' length (m): hip -> knee -> ankle, the mean of left and right."""
    j = {k: np.asarray(joints[k], np.float64) for k in _LEG_JOINTS}
    return float(np.mean([np.linalg.norm(j[f"hip_{s}"] - j[f"knee_{s}"])
                          + np.linalg.norm(j[f"knee_{s}"] - j[f"ankle_{s}"]) for s in "lr"]))


def standing_offsets(doc: dict) -> dict[str, np.ndarray] | None:
    """The mean fitted-minus-truth offset (m) of the hips (their midpoint) and of the neck over
    a saved take's tracked frames in which the truth stands tall (trunk inclination under
    STANDING_MAX_TRUNK_DEG), in the lifter's frame: [forward, up]. The joints are in the
    camera frame (docs/analysis-output.md); up is the truth's floor normal, forward is
    horizontal, square to the truth's hip line (left x up); and, where the joints have knees and
    ankles, "legs": [the fitted minus the truth leg_length] (m). None without such frames or a
    floor.
    (Before stop 79 this took the camera's z, its depth axis, for up: the "forward" it printed
    was the height, and its "up" the depth.)"""
    up = floor_up(doc)
    if up is None:
        return None
    acc: dict[str, list[np.ndarray]] = {"hips": [], "neck": [], "legs": []}
    for tf, rf in zip(doc["truth"]["frames"], doc["result"]["frames"]):
        trunk = (tf.get("angles") or {}).get("trunk_inclination")
        if not rf.get("tracked") or not rf.get("joints") or not tf.get("joints") or trunk is None \
                or trunk >= STANDING_MAX_TRUNK_DEG:
            continue   # also the truth's frames with the lifter out of view (no angles)
        tj, fj = tf["joints"], rf["joints"]
        fwd = lifter_forward(tj, up)
        if fwd is None:
            continue
        for name, f, t in (("hips", np.add(fj["hip_l"], fj["hip_r"]) / 2, np.add(tj["hip_l"], tj["hip_r"]) / 2),
                           ("neck", np.asarray(fj["neck"]), np.asarray(tj["neck"]))):
            d = f - t
            acc[name].append(np.array([d @ fwd, d @ up]))
        if all(k in j for j in (tj, fj) for k in _LEG_JOINTS):
            acc["legs"].append(np.array([leg_length(fj) - leg_length(tj)]))
    if not acc["hips"]:
        return None
    return {k: np.mean(v, axis=0) for k, v in acc.items() if v}


def curl_deg(joints: dict, up: np.ndarray, fwd: np.ndarray) -> float:
    """The head's bend over the trunk's chord, in the lifter's sagittal plane (deg): the
    angle of neck -> head minus that of the hips' midpoint -> neck, forward positive. It
    reads where the fit puts the hips, the shoulders and the head, not how it turns the
    pelvis: a back rounding evenly from the pelvis to the top thoracic bone bends the top over
    the chord by about half its angle (the mesh library's truth: 0.47-0.50 on every scripted
    shape)."""
    def pitch(v: np.ndarray) -> float:
        return float(np.degrees(np.arctan2(v @ fwd, v @ up)))
    mid = np.add(joints["hip_l"], joints["hip_r"]) / 2
    return pitch(np.subtract(joints["head"], joints["neck"])) - pitch(np.subtract(joints["neck"], mid))


def _standing_relative(doc: dict, measure: Callable[[dict, dict, np.ndarray], np.ndarray | None]
                       ) -> list[tuple[str, np.ndarray]]:
    """Per clean or rounded truth rep (bottom_errors' frames: a clean rep's bottom, a rounded
    one's spine peak, +-BOTTOM_HALF_FRAMES): (kind, the mean over its tracked frames of [the
    truth's spine, measure(truth joints, fitted joints, up) minus its median over the frames
    the truth stands tall in (standing_offsets'), the fitted minus the truth spine]). Empty
    without a floor or standing frames."""
    up = floor_up(doc)
    truth, fitted = doc["truth"]["frames"], doc["result"]["frames"]
    if up is None:
        return []

    def at(i: int) -> np.ndarray | None:
        tf, rf = truth[i], fitted[i] if i < len(fitted) else {}
        if not tf.get("joints") or not rf.get("tracked") or not rf.get("joints") or not rf.get("angles"):
            return None
        return measure(tf["joints"], rf["joints"], up)

    standing = [m for i, f in enumerate(truth)
                if (f.get("angles") or {}).get("trunk_inclination", 90.0) < STANDING_MAX_TRUNK_DEG
                and (m := at(i)) is not None]
    if not standing:
        return []
    m0 = np.median(np.array(standing), axis=0)
    t = np.array([f["t"] for f in truth])
    out = []
    for rep in doc["truth"]["reps"]:
        anchor = rep_anchor(truth, t, rep)
        if anchor is None:
            continue
        kind, ib = anchor
        rows = []
        for i in range(max(0, ib - BOTTOM_HALF_FRAMES), min(len(t), ib + BOTTOM_HALF_FRAMES + 1)):
            m = at(i)
            if m is not None:
                ts = truth[i]["angles"]["spine_flexion"]
                rows.append((ts, *(m - m0), fitted[i]["angles"]["spine_flexion"] - ts))
        if rows:
            out.append((kind, np.mean(rows, axis=0)))
    return out


def curl_errors(doc: dict) -> list[dict]:
    """One row per clean or rounded truth rep (_standing_relative's frames): {"kind",
    "truth_spine", "truth_curl", "curl": fitted minus truth curl, "spine": fitted minus truth
    spine}, each curl measured from its own standing median (the truth's frames standing
    tall, as standing_offsets'). Empty without a floor or standing frames."""
    def curls(tj: dict, fj: dict, up: np.ndarray) -> np.ndarray | None:
        fwd = lifter_forward(tj, up)
        return None if fwd is None else np.array([curl_deg(tj, up, fwd), curl_deg(fj, up, fwd)])
    return [{"kind": kind, "truth_spine": m[0], "truth_curl": m[1], "curl": m[2] - m[1], "spine": m[3]}
            for kind, m in _standing_relative(doc, curls)]


def trunk_offsets(truth_joints: dict, fitted_joints: dict, up: np.ndarray) -> np.ndarray | None:
    """Fitted minus truth (m) of the hips' midpoint and the neck in the truth trunk's own
    sagittal frame: [hips along, hips across, neck along, neck across], along the truth's
    chord from the hips' midpoint to the neck (+ towards the neck) and across it (+ towards the
    back), then the chord's sagittal angle, fitted minus truth (deg, + forward). An offset the
    body carries (a hip placed low in the pelvis) reads the same standing and bent over in
    this frame, where in the world's it turns with the trunk. None for a hip line along up."""
    fwd = lifter_forward(truth_joints, up)
    if fwd is None:
        return None
    left = np.cross(up, fwd)
    t_mid = np.add(truth_joints["hip_l"], truth_joints["hip_r"]) / 2
    f_mid = np.add(fitted_joints["hip_l"], fitted_joints["hip_r"]) / 2
    along = np.subtract(truth_joints["neck"], t_mid)
    along = along - left * (along @ left)
    along = along / np.linalg.norm(along)
    back = np.cross(along, left)

    def pitch(v: np.ndarray) -> float:
        return float(np.degrees(np.arctan2(v @ fwd, v @ up)))
    dh, dn = f_mid - t_mid, np.subtract(fitted_joints["neck"], truth_joints["neck"])
    return np.array([dh @ along, dh @ back, dn @ along, dn @ back,
                     pitch(np.subtract(fitted_joints["neck"], f_mid)) - pitch(np.subtract(truth_joints["neck"], t_mid))])


def chord_errors(doc: dict) -> list[dict]:
    """One row per clean or rounded truth rep (_standing_relative's frames): {"kind",
    "truth_spine", "hips_along", "hips_across", "neck_along", "neck_across" (mm), "chord"
    (deg), "spine" (fitted minus truth, deg)}: trunk_offsets at the rep's frames minus their
    median over the frames the truth stands tall in, so a row says how far the fit's hips
    and neck moved across the trunk from where it stands them. Empty without a floor or
    standing frames."""
    return [{"kind": kind, "truth_spine": m[0], "hips_along": 1000 * m[1], "hips_across": 1000 * m[2],
             "neck_along": 1000 * m[3], "neck_across": 1000 * m[4], "chord": m[5], "spine": m[6]}
            for kind, m in _standing_relative(doc, trunk_offsets)]


def grouped_table(docs: list[dict], rows: list[tuple[dict, dict]], heading: str,
                  line: Callable[[str, list[dict]], str],
                  after: Callable[[str, str, list[tuple[dict, dict]]], None] | None = None) -> None:
    """rows ((take, row) pairs, row["kind"] "clean" or "rounded") printed per body and split:
    the heading, then each kind's line over all its rows and one per shape (line(label,
    rows)); after(body, split, the group's pairs), when given, prints below each group."""
    for body in sorted({d["body"] for d in docs}):
        for split in ("dev", "holdout"):
            sel = [(d, r) for d, r in rows if d["body"] == body and d["split"] == split]
            if not sel:
                continue
            print(f"\n{body} body, split {split}: {heading}{'  [' + HOLDOUT_NOTE + ']' if split == 'holdout' else ''}")
            for kind in ("clean", "rounded"):
                these = [(d, r) for d, r in sel if r["kind"] == kind]
                if not these:
                    continue
                print(line(kind, [r for _, r in these]))
                for shape in sorted({shape_of(d["name"]) for d, _ in these}):
                    print(line(f"  {shape}", [r for d, r in these if shape_of(d["name"]) == shape]))
            if after is not None:
                after(body, split, sel)


def curl_table(docs: list[dict]) -> None:
    """--curl: curl_errors' means per body, split and shape, beside the spine's."""
    def line(label: str, rows: list[dict]) -> str:
        m = {k: sum(r[k] for r in rows) / len(rows) for k in ("truth_spine", "truth_curl", "curl", "spine")}
        return (f"{label:14s} n {len(rows):3d} truth spine {m['truth_spine']:5.1f} curl {m['truth_curl']:5.1f}"
                f" | fitted - truth: curl {m['curl']:+6.1f} (x2 {2 * m['curl']:+6.1f}) spine {m['spine']:+6.1f}")
    grouped_table(docs, [(d, r) for d in docs for r in curl_errors(d)],
                  "the head's bend over the hips-to-neck chord (curl) and the spine, at clean bottoms "
                  "and rounded peaks", line)


def chord_table(docs: list[dict]) -> None:
    """--chord: chord_errors' means per body, split and shape."""
    keys = ("truth_spine", "hips_along", "hips_across", "neck_along", "neck_across", "chord", "spine")

    def line(label: str, rows: list[dict]) -> str:
        m = {k: sum(r[k] for r in rows) / len(rows) for k in keys}
        return (f"{label:14s} n {len(rows):3d} truth spine {m['truth_spine']:5.1f} | from standing, mm:"
                f" hips along {m['hips_along']:+5.0f} across {m['hips_across']:+5.0f}"
                f" neck along {m['neck_along']:+5.0f} across {m['neck_across']:+5.0f}"
                f" | chord {m['chord']:+5.1f} spine {m['spine']:+6.1f}")
    grouped_table(docs, [(d, r) for d in docs for r in chord_errors(d)],
                  "the fit's hips and neck in the truth trunk's frame (across: + towards the back), "
                  "moved from standing, at clean bottoms and rounded peaks", line)


def bottoms_table(docs: list[dict]) -> None:
    """--bottoms: bottom_errors' means per body, split and shape, then the standing table."""
    def line(label: str, rows: list[dict]) -> str:
        m = {k: sum(r[k] for r in rows) / len(rows) for k in ("truth_spine", *_BOTTOM_ANGLES)}
        return (f"{label:14s} n {len(rows):3d} truth spine {m['truth_spine']:5.1f} | fitted - truth: "
                + " ".join(f"{k} {m[k]:+6.1f}" for k in _BOTTOM_ANGLES))

    def standing(body: str, split: str, sel: list[tuple[dict, dict]]) -> None:
        clean_spine: dict[str, list[float]] = {}
        for d, r in sel:
            if r["kind"] == "clean":
                clean_spine.setdefault(shape_of(d["name"]), []).append(r["spine"])
        standing_table([d for d in docs if d["body"] == body and d["split"] == split], clean_spine)
    grouped_table(docs, [(d, r) for d in docs for r in bottom_errors(d)],
                  "angles at the bottom of clean reps and the peak of rounded ones", line, standing)


def standing_table(docs: list[dict], clean_spine: dict[str, list[float]]) -> None:
    """Per shape: standing_offsets averaged over its takes, beside its clean bottoms' spine
    offsets (clean_spine: shape -> bottom_errors' "spine" of its clean reps); then their
    correlation over the shapes that have both."""
    per: dict[str, list[dict[str, np.ndarray]]] = {}
    for d in docs:
        o = standing_offsets(d)
        if o is not None:
            per.setdefault(shape_of(d["name"]), []).append(o)
    if not per:
        return
    print("standing tall: fitted - truth (mm, the lifter's forward / up; the legs' length) | clean bottoms' spine offset")
    # each series: (its value per shape, that shape's clean bottoms' spine offset)
    series: dict[str, tuple[list[float], list[float]]] = {
        k: ([], []) for k in ("hips' forward offset", "hips' up offset", "legs' length")}
    for shape in sorted(per):
        m = {k: 1000 * np.mean([o[k] for o in per[shape]], axis=0) for k in ("hips", "neck")}
        legs = [o["legs"][0] for o in per[shape] if "legs" in o]
        sp = clean_spine.get(shape, [])
        legs_text = f"   legs {1000 * np.mean(legs):+6.1f}" if legs else ""
        tail = f" | spine {np.mean(sp):+6.1f}" if sp else ""
        print(f"  {shape:12s} hips {m['hips'][0]:+6.1f} {m['hips'][1]:+6.1f}   "
              f"neck {m['neck'][0]:+6.1f} {m['neck'][1]:+6.1f}{legs_text}{tail}")
        if not sp:
            continue
        values = {"hips' forward offset": m["hips"][0], "hips' up offset": m["hips"][1],
                  "legs' length": 1000 * float(np.mean(legs)) if legs else None}
        for label, v in values.items():
            if v is not None:
                series[label][0].append(v)
                series[label][1].append(float(np.mean(sp)))
    for label, (offset, against) in series.items():
        if len(offset) >= 3 and np.std(offset) > 0 and np.std(against) > 0:
            print(f"  {label} standing against the clean bottoms' spine offset: "
                  f"r {np.corrcoef(offset, against)[0, 1]:+.2f} over {len(offset)} shapes")


def row(label: str, t: Tally) -> str:
    if not t.in_view:
        return f"{label:14s} (no frames)"
    p, r, _ = t.prf("rounded_back")
    tp, fp, fn, _ = t.faults["rounded_back"]
    others = " ".join(f"{_SHORT[k]} {t.prf(k)[2]:.2f}" for k in FAULT_LABELS if k != "rounded_back")
    return (f"{label:14s} spine {t.angle_mae('spine'):5.2f} hip {t.angle_mae('hip'):5.2f} "
            f"knee {t.angle_mae('knee'):5.2f} trunk {t.angle_mae('trunk'):5.2f} | MPJPE {t.mpjpe_mm:5.1f} "
            f"tracked {100 * t.tracked_rate:5.1f}% | mF1 {t.macro_f1:.3f} RB P {p:.2f} R {r:.2f} "
            f"({tp} tp {fp} fp {fn} miss, clr {t.cleared['rounded_back']}) {others} "
            f"| cue on clean {100 * t.false_cue_rate:4.1f}%")


def table(docs: list[dict], replay: bool = False) -> None:
    tallies = []
    same = 0
    for d in docs:
        result = d["result"]
        if replay:
            reps = replay_reps(d)
            same += int([(r["faults"], r.get("not_judged", [])) for r in reps]
                        == [(r["faults"], r.get("not_judged", [])) for r in result["reps"]])
            result = {**result, "reps": reps, "cues": None}   # cues are the saved run's: not scored
        tallies.append((d, score(d["truth"], result)))
    if replay:
        print(f"replay: the current evaluator's reps equal the saved ones on {same} of {len(docs)} takes"
              " (fault cues on clean reps are not replayed: n/a)")
    for body in sorted({d["body"] for d in docs}):
        for split in ("dev", "holdout"):
            sel = [(d, t) for d, t in tallies if d["body"] == body and d["split"] == split]
            if not sel:
                continue
            title = f"{body} body, split {split} ({len(sel)} takes)"
            print(f"\n{title}{'  [' + HOLDOUT_NOTE + ']' if split == 'holdout' else ''}")
            print(row("all", Tally.sum(t for _, t in sel)))
            for shape in sorted({shape_of(d["name"]) for d, _ in sel}):
                print(row(f"  {shape}", Tally.sum(t for d, t in sel if shape_of(d["name"]) == shape)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+", help="directories written by bench/fitter.py --save")
    ap.add_argument("--replay", action="store_true", help="judge the reps again with the current evaluator")
    ap.add_argument("--bottoms", action="store_true",
                    help="the angles' errors at the bottom of clean reps and the peak of rounded ones")
    ap.add_argument("--curl", action="store_true",
                    help="the head's bend over the hips-to-neck chord at the same bottoms: what the "
                         "fit's joints say of the back without the pelvis's turn")
    ap.add_argument("--chord", action="store_true",
                    help="where the fit's hips and neck sit across the trunk at the same bottoms, "
                         "moved from standing (the truth trunk's own frame)")
    ap.add_argument("--merge", action="store_true",
                    help="score the directories' takes together, as one library (a library run "
                         "split over processes); a take saved in two of them is an error")
    args = ap.parse_args(argv)
    groups: list[tuple[str, list[dict]]] = []
    for directory in args.dirs:
        try:
            docs = load_saved(directory)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        if not docs:
            print(f"error: {directory}: no saved takes (*.json.gz from bench/fitter.py --save)", file=sys.stderr)
            return 1
        groups.append((directory, docs))
    if args.merge:
        seen: dict[str, str] = {}
        for directory, docs in groups:
            for d in docs:
                if d["name"] in seen:
                    print(f"error: {d['name']} is saved in both {seen[d['name']]} and {directory}", file=sys.stderr)
                    return 1
                seen[d["name"]] = directory
        groups = [(" + ".join(g[0] for g in groups), [d for _, docs in groups for d in docs])]
    for label, docs in groups:
        print(f"== {label}: {len(docs)} takes")
        table(docs, args.replay)
        if args.bottoms:
            bottoms_table(docs)
        if args.curl:
            curl_table(docs)
        if args.chord:
            chord_table(docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
