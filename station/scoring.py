"""Score the station's analysis against ground truth: one scorer for every benchmark.

Both sides are documents of the analysis contract (docs/analysis-output.md): the truth a
synthetic recording carries (`OUT.truth.json`, SyntheticTake.truth_document) and what the
station produced (`station analyze` output, or the same document built in-process by the
benchmarks). So bench/fitter.py, bench/form.py and bench/score.py (scoring `station analyze`
on recordings) all compute a figure the same way.

    tally = score(truth_doc, result_doc)          # one recording
    total = Tally.sum([tally_a, tally_b, ...])    # any grouping (body, mount, orientation)
    total.summary()                               # the figures, as a dict

Figures:
- tracked rate: frames the station tracked among the frames the truth marks in view;
- MPJPE (mm): mean over tracked in-view frames and the contract's 15 joints of the distance
  between the station's joint and the true one (camera frame); and without constants: the
  same after each recording's mean error vector of each joint is taken out (what a
  per-person correction of where the joint centres sit inside the surface would leave);
- angle MAE (deg): trunk, hip (left and right pooled), knee (pooled), spine; shift in mm;
- reps: truth and found reps are paired by nearest bottom time within MATCH_S; per fault
  label TP/FP/FN over paired and unpaired reps (a truth rep with no found rep is a FN for
  each of its labels; a found rep with no truth rep a FP for each of its labels). A label the
  station listed as `not_judged` on a rep counts as not flagged (a FN when the truth has it)
  and is tallied separately;
- false faults on clean reps: the share of truly clean reps (no true fault) whose paired
  found rep carries any fault (or that were missed: not counted);
- false cues on clean reps: the share of truly clean reps during which (start_t … end_t) a
  fault cue was on screen, when the result carries its cues (`"cues": [{"t", "rule", "kind"}]`,
  one entry per frame with a cue; the benchmarks record them, `station analyze` may not);
- start latency (s): from the first moment the truth has the person standing still in view
  (standing_still_t: upright, every joint within STILL_RADIUS_M for STILL_S) to the station's
  first tracked frame from then on, 0 when tracking had started already (walking in), inf
  when it never does. One value per recording; a group reports its worst and how many
  recordings started later than START_TARGET_S (the issue's target: within 1 s).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from station.model import JOINTS

FAULT_LABELS: tuple[str, ...] = ("rounded_back", "knee_dominant", "incomplete_lockout", "overextension",
                                 "hip_shift", "too_fast")
ANGLE_GROUPS: dict[str, tuple[str, ...]] = {
    "trunk": ("trunk_inclination",), "hip": ("hip_flexion_l", "hip_flexion_r"),
    "knee": ("knee_flexion_l", "knee_flexion_r"), "spine": ("spine_flexion",),
    "shift_mm": ("pelvis_lateral_shift",),
}
MATCH_S = 1.0
STILL_S = 0.5              # standing still: upright, every joint within STILL_RADIUS_M this long
STILL_RADIUS_M = 0.03
STILL_MAX_TRUNK_DEG = 20.0
START_TARGET_S = 1.0


@dataclass
class Tally:
    """Sums from which every figure is computed; add tallies to group recordings."""

    in_view: int = 0
    tracked: int = 0
    joint_err_m: list = field(default_factory=list)            # arrays (n, 15)
    # the same errors with each recording's mean error vector of each joint taken out: what
    # is left once a constant per-person correction of every joint (the body's own joint
    # centres inside its surface) is made. Standing, most of the mesh athlete's error is that
    # constant; bending, less of it (bench/fitter.py prints both)
    joint_err_offset_removed_m: list = field(default_factory=list)   # arrays (n, 15)
    angle_abs_err: dict = field(default_factory=dict)         # group -> list of arrays
    faults: dict = field(default_factory=lambda: {k: [0, 0, 0, 0] for k in FAULT_LABELS})  # tp fp fn not_judged
    # of the fn: true faults on a rep that was found and judged for that label, and called absent
    # (the coach said "clean" where it could have said "not judged": the trust figure)
    cleared: dict = field(default_factory=lambda: {k: 0 for k in FAULT_LABELS})
    true_reps: int = 0
    found_reps: int = 0
    paired_reps: int = 0
    sets: int = 0
    sets_count_exact: int = 0
    clean_reps: int = 0
    clean_reps_paired: int = 0
    clean_false_fault: int = 0
    clean_cue_known: int = 0
    clean_false_cue: int = 0
    ms_segment: list = field(default_factory=list)
    ms_fit: list = field(default_factory=list)
    start_latency_s: list = field(default_factory=list)   # one per recording with a still moment

    @staticmethod
    def sum(tallies) -> "Tally":
        out = Tally()
        for t in tallies:
            out.add(t)
        return out

    def add(self, o: "Tally") -> None:
        for k in ("in_view", "tracked", "true_reps", "found_reps", "paired_reps", "sets", "sets_count_exact",
                  "clean_reps", "clean_reps_paired", "clean_false_fault", "clean_cue_known", "clean_false_cue"):
            setattr(self, k, getattr(self, k) + getattr(o, k))
        self.joint_err_m += o.joint_err_m
        self.joint_err_offset_removed_m += o.joint_err_offset_removed_m
        for g, v in o.angle_abs_err.items():
            self.angle_abs_err.setdefault(g, []).extend(v)
        for k in FAULT_LABELS:
            self.faults[k] = [a + b for a, b in zip(self.faults[k], o.faults[k])]
            self.cleared[k] += o.cleared[k]
        self.ms_segment += o.ms_segment
        self.ms_fit += o.ms_fit
        self.start_latency_s += o.start_latency_s

    # ------------------------------------------------------------------------------- figures
    @property
    def tracked_rate(self) -> float:
        return self.tracked / self.in_view if self.in_view else math.nan

    @property
    def mpjpe_mm(self) -> float:
        e = self.per_joint_mm()
        return float(np.nanmean(e)) if e.size else math.nan

    def per_joint_mm(self, offset_removed: bool = False) -> np.ndarray:
        """(15,) mean error of each contract joint (mm), NaN when never tracked; with
        offset_removed, after each recording's constant offset of that joint is taken out."""
        errs = self.joint_err_offset_removed_m if offset_removed else self.joint_err_m
        if not errs:
            return np.full(len(JOINTS), np.nan)
        with warnings.catch_warnings():   # a joint never reported: NaN, said by the NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            return 1000.0 * np.nanmean(np.concatenate(errs), axis=0)

    @property
    def mpjpe_offset_removed_mm(self) -> float:
        """MPJPE with each recording's mean error vector of each joint taken out (see
        joint_err_offset_removed_m): the part of the error a per-person constant correction
        cannot remove."""
        e = self.per_joint_mm(offset_removed=True)
        return float(np.nanmean(e)) if e.size else math.nan

    def angle_mae(self, group: str) -> float:
        v = self.angle_abs_err.get(group, [])
        v = np.concatenate(v) if v else np.zeros(0)
        return float(np.mean(v)) if v.size else math.nan

    def prf(self, label: str) -> tuple[float, float, float]:
        tp, fp, fn, _ = self.faults[label]
        p = tp / (tp + fp) if tp + fp else math.nan
        r = tp / (tp + fn) if tp + fn else math.nan
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else math.nan
        return p, r, f1

    @property
    def macro_f1(self) -> float:
        f1 = [self.prf(k)[2] for k in FAULT_LABELS]
        f1 = [x for x in f1 if not math.isnan(x)]
        return float(np.mean(f1)) if f1 else math.nan

    @property
    def start_latency_worst_s(self) -> float:
        """The longest start latency of the recordings (inf: one never started), NaN if none."""
        return float(max(self.start_latency_s)) if self.start_latency_s else math.nan

    @property
    def starts_late(self) -> int:
        """Recordings whose tracking started more than START_TARGET_S after standing still."""
        return sum(1 for v in self.start_latency_s if v > START_TARGET_S)

    @property
    def false_fault_rate(self) -> float:
        return self.clean_false_fault / self.clean_reps_paired if self.clean_reps_paired else math.nan

    @property
    def false_cue_rate(self) -> float:
        return self.clean_false_cue / self.clean_cue_known if self.clean_cue_known else math.nan

    def summary(self) -> dict:
        out = {"in_view": self.in_view, "tracked_rate": self.tracked_rate, "mpjpe_mm": self.mpjpe_mm,
               "mpjpe_offset_removed_mm": self.mpjpe_offset_removed_mm,
               "mpjpe_joint_mm": {n: float(v) for n, v in zip(JOINTS, self.per_joint_mm())}}
        for g in ANGLE_GROUPS:
            out[f"mae_{g}"] = self.angle_mae(g)
        out["true_reps"], out["found_reps"], out["paired_reps"] = self.true_reps, self.found_reps, self.paired_reps
        out["sets_count_exact"] = f"{self.sets_count_exact}/{self.sets}"
        for k in FAULT_LABELS:
            p, r, f1 = self.prf(k)
            tp, fp, fn, nj = self.faults[k]
            out[k] = {"precision": p, "recall": r, "f1": f1, "tp": tp, "fp": fp, "fn": fn, "not_judged": nj,
                      "cleared": self.cleared[k]}
        out["macro_f1"] = self.macro_f1
        out["clean_reps"] = self.clean_reps
        out["false_fault_rate_clean"] = self.false_fault_rate
        out["false_cue_rate_clean"] = self.false_cue_rate
        out["ms_segment_median"] = float(np.median(self.ms_segment)) if self.ms_segment else math.nan
        out["ms_fit_median"] = float(np.median(self.ms_fit)) if self.ms_fit else math.nan
        out["start_latency_s"] = list(self.start_latency_s)
        out["start_latency_worst_s"] = self.start_latency_worst_s
        out["starts_late"] = f"{self.starts_late}/{len(self.start_latency_s)}"
        return out


# ----------------------------------------------------------------------------------- scoring

def _rep_time(rep: dict, key: str) -> float:
    return float(rep[key])


def match_reps(truth_reps: list[dict], found_reps: list[dict], tol_s: float = MATCH_S) -> list[tuple]:
    """[(truth rep, found rep or None)] by nearest bottom time within tol_s, greedy in truth order;
    found reps left over are returned as (None, found)."""
    pairs, used = [], set()
    for tr in truth_reps:
        best, bd = None, tol_s
        for j, f in enumerate(found_reps):
            d = abs(_rep_time(f, "bottom_t") - _rep_time(tr, "bottom_t"))
            if j not in used and d <= bd:
                best, bd = j, d
        if best is None:
            pairs.append((tr, None))
        else:
            used.add(best)
            pairs.append((tr, found_reps[best]))
    pairs += [(None, f) for j, f in enumerate(found_reps) if j not in used]
    return pairs


def _frame_index(truth_t: np.ndarray, result_t: np.ndarray) -> np.ndarray:
    """For each result frame, the truth frame nearest in time (frames are the same recording)."""
    k = np.searchsorted(truth_t, result_t)
    k = np.clip(k, 1, max(len(truth_t) - 1, 1))
    lo = np.clip(k - 1, 0, len(truth_t) - 1)
    hi = np.clip(k, 0, len(truth_t) - 1)
    return np.where(np.abs(truth_t[lo] - result_t) <= np.abs(truth_t[hi] - result_t), lo, hi)


def standing_still_t(truth_doc: dict, still_s: float = STILL_S, radius_m: float = STILL_RADIUS_M,
                     max_trunk_deg: float = STILL_MAX_TRUNK_DEG) -> float | None:
    """When the truth first has the person standing still in view: the first in-view frame
    from which, for still_s, the person stays in view and upright (trunk inclination under
    max_trunk_deg) and every joint stays within radius_m of where it was. None if never."""
    tf = truth_doc["frames"]
    t = np.array([f["t"] for f in tf], np.float64)
    ok = np.array([bool(f.get("tracked")) and "joints" in f
                   and float(f.get("angles", {}).get("trunk_inclination", 0.0)) < max_trunk_deg for f in tf])
    J = np.full((len(tf), len(JOINTS), 3), np.nan)
    for i, f in enumerate(tf):
        if ok[i]:
            J[i] = [f["joints"][n] for n in JOINTS]
    for i in np.flatnonzero(ok):
        j = int(np.searchsorted(t, t[i] + still_s - 1e-9))
        if j >= len(tf):
            return None
        if ok[i:j + 1].all() and float(np.max(np.linalg.norm(J[i:j + 1] - J[i], axis=2))) <= radius_m:
            return float(t[i])
    return None


def start_latency_s(truth_doc: dict, result_doc: dict) -> float | None:
    """Seconds from standing still in view (standing_still_t) to the first tracked frame from
    then on (0 if tracked then already, inf if never); None without a still moment."""
    t_still = standing_still_t(truth_doc)
    frames = result_doc["frames"]
    if t_still is None or not frames or float(frames[-1]["t"]) < t_still:
        return None
    for f in frames:
        if float(f["t"]) >= t_still - 1e-6 and f.get("tracked"):
            return max(0.0, float(f["t"]) - t_still)
    return math.inf


def score(truth_doc: dict, result_doc: dict, rep_filter=None) -> Tally:
    """A Tally of one recording. rep_filter(truth_rep_dict) -> bool limits the fault figures
    to some truth reps (e.g. clearly labelled ones); found reps paired with a filtered-out truth
    rep are then ignored too."""
    tl = Tally()
    tf = truth_doc["frames"]
    rf = result_doc["frames"]
    t_truth = np.array([f["t"] for f in tf], np.float64)
    t_res = np.array([f["t"] for f in rf], np.float64)
    idx = _frame_index(t_truth, t_res) if len(tf) and len(rf) else np.zeros(0, int)
    errs, ang = [], {g: [] for g in ANGLE_GROUPS}
    for r, i in zip(rf, idx):
        truth = tf[int(i)]
        if not truth.get("tracked"):
            continue
        tl.in_view += 1
        if not r.get("tracked") or "joints" not in r:
            continue
        tl.tracked += 1
        tj, rj = truth["joints"], r["joints"]
        errs.append([np.subtract(rj[n], tj[n]) if n in rj else (math.nan,) * 3 for n in JOINTS])
        ta, ra = truth.get("angles", {}), r.get("angles", {})
        for g, keys in ANGLE_GROUPS.items():
            for k in keys:
                if k in ta and k in ra and ra[k] is not None:
                    s = 1000.0 if k == "pelvis_lateral_shift" else 1.0
                    ang[g].append(abs(float(ra[k]) - float(ta[k])) * s)
    if errs:
        err_vec = np.asarray(errs, np.float64)                    # (n, 15, 3) fitted - truth
        tl.joint_err_m.append(np.linalg.norm(err_vec, axis=2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            offset = np.nanmean(err_vec, axis=0)                  # (15, 3) this recording's
        tl.joint_err_offset_removed_m.append(np.linalg.norm(err_vec - offset, axis=2))
    for g, v in ang.items():
        if v:
            tl.angle_abs_err[g] = [np.asarray(v, np.float64)]
    lat = start_latency_s(truth_doc, result_doc) if len(rf) else None
    if lat is not None:
        tl.start_latency_s = [lat]
    st = result_doc.get("station", {})
    if "ms_segment" in st:
        tl.ms_segment = list(st["ms_segment"])
        tl.ms_fit = list(st["ms_fit"])

    # reps (only those complete within the result's frames)
    t_end = float(t_res[-1]) if len(t_res) else 0.0
    truth_reps = [r for r in truth_doc.get("reps", []) if float(r["end_t"]) <= t_end + 1e-6]
    found = list(result_doc.get("reps", []))
    tl.sets, tl.sets_count_exact = 1, int(len(found) == len(truth_reps))
    cues = result_doc.get("cues")
    cue_t = np.array([c["t"] for c in cues if c.get("kind", "fault") == "fault"], np.float64) if cues is not None else None
    for tr, fr in match_reps(truth_reps, found):
        if tr is not None and rep_filter is not None and not rep_filter(tr):
            continue
        true_f = set(tr["faults"]) if tr is not None else set()
        found_f = set(fr["faults"]) if fr is not None else set()
        not_judged = set(fr.get("not_judged", ())) if fr is not None else set()
        if tr is not None:
            tl.true_reps += 1
        if fr is not None:
            tl.found_reps += 1
        if tr is not None and fr is not None:
            tl.paired_reps += 1
        for k in FAULT_LABELS:
            c = tl.faults[k]
            if k in true_f and k in found_f:
                c[0] += 1
            elif k in found_f:
                c[1] += 1
            elif k in true_f:
                c[2] += 1
                if fr is not None and k not in not_judged:
                    tl.cleared[k] += 1
            if k in not_judged:
                c[3] += 1
        if tr is not None and not true_f:
            tl.clean_reps += 1
            if fr is not None:
                tl.clean_reps_paired += 1
                tl.clean_false_fault += int(bool(found_f))
            if cue_t is not None:
                tl.clean_cue_known += 1
                a, b = float(tr["start_t"]), float(tr["end_t"])
                tl.clean_false_cue += int(bool(np.any((cue_t >= a) & (cue_t <= b))))
    return tl


def clearly_labelled_filter(margin_deg: float = 3.0):
    """A rep_filter keeping truth reps whose metrics are at least margin_deg (0.02 m, 0.15 s)
    from every rdl threshold (station.sim.truth.clearly_labelled, on the contract dicts)."""
    from station.sim.truth import RepTruth, clearly_labelled

    def keep(rep: dict) -> bool:
        r = RepTruth(rep["start_t"], rep["bottom_t"], rep["end_t"], rep["pattern"], list(rep["faults"]),
                     dict(rep["metrics"]))
        return clearly_labelled(r, margin_deg=margin_deg)

    return keep


def format_fault_table(tally: Tally, title: str) -> str:
    # cleared: of fn, the reps judged for the label and called free of it (not "not judged")
    lines = [title, f"  {'label':19s} {'P':>6s} {'R':>6s} {'F1':>6s}   tp  fp  fn  not_judged  cleared"]
    for k in FAULT_LABELS:
        p, r, f1 = tally.prf(k)
        tp, fp, fn, nj = tally.faults[k]
        lines.append(f"  {k:19s} {p:6.3f} {r:6.3f} {f1:6.3f}  {tp:3d} {fp:3d} {fn:3d}  {nj:10d}  {tally.cleared[k]:7d}")
    lines.append(f"  macro F1 {tally.macro_f1:.3f};  clean reps {tally.clean_reps}: "
                 f"false fault {100 * tally.false_fault_rate:.1f}% (of {tally.clean_reps_paired} found), "
                 f"false cue {100 * tally.false_cue_rate:.1f}% (of {tally.clean_cue_known})")
    return "\n".join(lines)
