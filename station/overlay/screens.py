"""The screens, as shapes in pixels: ``layout(view, size_px) -> list[Shape]`` (pure, no pygame).

``layout`` turns one :class:`~station.overlay.view.View` into text, lines, circles, polygons
and rectangles with their colours (:mod:`station.overlay.layout`); :mod:`station.overlay.screen`
draws them; tests inspect them or render them headless.

The background is black: on a two-way mirror black is invisible and bright pixels float on
the lifter's reflection. Screens are designed on a 1080 x 1920 portrait reference and scaled
to any size (positions by the width and height ratios, type and strokes by the smaller).

Screens (:func:`~station.overlay.view.choose_screen`): "idle", "positioning", "live",
"summary" (from CoachState.screen), "calibration" (staff mode, or the floor not found yet)
and "attention" (camera lost, or no usable configuration). A new screen fades in over
FADE_S from the timestamps kept in OverlayMemory; cues fade in and out (station.overlay.cue_box).
"""
from __future__ import annotations

import math

import numpy as np

from station.form.confidence_gate import back_only
from station.model import SKELETON_INDEX, Cue
from station.overlay import figures
from station.overlay.canvas import Canvas, clamp01
from station.overlay.cue_box import cue_box, fading_cue, view_notice_box
from station.overlay.layout import (
    AMBER, CUE_RGB, CYAN, DIM, FADE_S, FAULT_BONES, FAULT_SHORT, FAULT_TEXT, GREEN, GREY, LAST_REP_SHOW_S,
    PHASE_RGB, PHASE_TEXT, ROLE_RGB, ROLE_TITLE, SCREEN_FADE_FROM, WHITE, Point, Rgb, Shape,
)
from station.overlay.meters import (
    check_mark, figure, figure_label, hinge_meter, muscle_roles_shown, position_hint, zone_diagram,
)
from station.overlay.view import Presence, View, choose_screen


def staff_notice(c: Canvas, view: View) -> None:
    err = view.health.config_error
    moved = view.health.calibration_notice
    if moved and not (err and not view.health.config_fatal):
        first, _, rest = moved.partition(" (")
        c.rect((0, 1868, 1080, 52), (0, 0, 0), tag="backing")
        c.text(f"STAFF: {first}", (10, 1872, 1060, 24), 26, AMBER, tag="staff_notice")
        if rest:
            c.text("(" + rest, (10, 1896, 1060, 22), 22, AMBER, tag="staff_notice")
    if err and not view.health.config_fatal:
        first = err.strip().splitlines()[0]
        if len(first) > 90:
            first = first[:87] + "..."
        c.rect((0, 1868, 1080, 52), (0, 0, 0), tag="backing")
        c.text("STAFF: config file has errors; running on the last good settings "
               "(station config check)", (10, 1872, 1060, 24), 26, AMBER, tag="staff_notice")
        c.text(first, (10, 1896, 1060, 22), 22, AMBER, tag="staff_notice")


def _idle(c: Canvas, view: View) -> None:
    c.text("HIP HINGE", (40, 60, 1000, 130), 150, WHITE, tag="title")
    c.text(view.exercise_title, (40, 190, 1000, 70), 72, CYAN, tag="exercise")
    c.text("HOW TO USE", (70, 300, 940, 56), 52, GREY, align="left", tag="howto")
    steps = ("1   Step into the marked zone", "2   Face the mirror, stand tall",
             "3   Lift: your reps and cues show here")
    for i, s in enumerate(steps):
        c.text(s, (70, 362 + i * 78, 960, 72), 66, WHITE, align="left", tag="howto")
    roles = muscle_roles_shown(view)
    c.text("WHAT IT WORKS", (70, 640, 940, 56), 52, GREY, align="left", tag="muscles")
    figure(c, (40, 710, 250, 680), "back", {m: 1.0 for m in roles}, roles, "figure_back", base=1.0)
    figure(c, (290, 710, 250, 680), "front", {m: 1.0 for m in roles}, roles, "figure_front", base=1.0)
    c.text("BACK", (40, 1395, 250, 50), 44, GREY, tag="figure_back")
    c.text("FRONT", (290, 1395, 250, 50), 44, GREY, tag="figure_front")
    y = 745
    for role in ("drive", "hold", "brace"):
        names = [figures.MUSCLE_NAMES[m] for m in figures.MUSCLES if roles.get(m) == role]
        if not names:
            continue
        c.text(ROLE_TITLE[role], (560, y, 480, 70), 72, ROLE_RGB[role], align="left", tag=f"legend.{role}")
        c.paragraph(", ".join(names), (560, y + 72, 480, 120), 58, WHITE, align="left",
                    tag=f"legend.{role}", max_lines=2)
        y += 205
    c.paragraph("New to the hinge? Learn the pattern with light or no weight first.",
                (60, 1520, 960, 200), 72, WHITE, tag="advice", max_lines=3)
    c.paragraph("Hips back, soft knees, flat back.", (60, 1740, 960, 80), 66, CYAN,
                tag="advice", max_lines=1)


# notices the positioning screen shows in place of its hint (CoachState.notice keys): a depth
# too noisy to judge from ("come_closer") and a covered view; the others (step back, to the
# centre, stand tall) say what the zone diagram and the checklist already say
POSITIONING_NOTICES = ("come_closer", "view_blocked")


def _positioning(c: Canvas, view: View) -> None:
    p = view.presence or Presence()
    c.text("GET IN POSITION", (40, 90, 1000, 130), 128, WHITE, tag="title")
    rows = (("Step into the marked zone", p.in_zone), ("Face the mirror", None if p.upright is None else p.upright),
            ("Stand tall, arms relaxed", p.upright))
    for i, (s, ok) in enumerate(rows):
        y = 290 + i * 120
        check_mark(c, (120, y + 45), ok, tag=f"check{i}")
        c.text(s, (190, y, 860, 90), 76, WHITE, align="left", tag=f"step{i}")
    z = view.calibration.zone if view.calibration is not None else None
    zone = (z.width_m, z.depth_m) if z is not None else (1.6, 1.8)
    zone_diagram(c, (190, 700, 700, 760), zone, p.offset_m, "zone", p.in_zone)
    st = view.state
    if st is not None and st.notice in POSITIONING_NOTICES and st.notice_text:
        # what keeps the station from seeing the person, which their place in the zone does
        # not show (a "Good spot: stay here" under it would be wrong)
        c.paragraph(st.notice_text, (40, 1520, 1000, 140), 80, AMBER, tag="hint", max_lines=2)
    else:
        c.paragraph(position_hint(p, zone), (40, 1520, 1000, 110), 92, AMBER if not p.in_zone else GREEN,
                    tag="hint", max_lines=1)
    c.paragraph("Your set starts when you stand still.", (60, 1680, 960, 160), 62, GREY,
                tag="note", max_lines=2)


UNSURE_SKELETON_ALPHA = 0.3
# A leg bone is drawn faint (UNSURE_SKELETON_ALPHA) as its far joint's confidence (View.
# skeleton_confidence: the knee for a thigh, the ankle for a shin) falls from this to 0: a
# fit breaking as the lifter turns to walk away drew its legs crossed in a zigzag, bright, for a
# second before the notice came up (the demo at 30 s; its knees and ankles read 0.0-0.1). On the
# library's tracked frames knees and ankles read under 0.5 in 0.1-1.2 % of them; the pelvis,
# hidden behind the trunk at the bottom of a hinge, in 30 %, so the trunk is not faded by it
LIMB_SURE = 0.5
FADED_LEG_JOINTS = ("knee_l", "knee_r", "ankle_l", "ankle_r")


def _skeleton(c: Canvas, view: View, cue: Cue | None, cue_alpha: float, unsure: bool) -> None:
    pts = view.skeleton_px
    if pts is None:
        return
    pts = np.asarray(pts, dtype=np.float64)
    a = clamp01(view.skeleton_alpha)
    if unsure:
        a *= UNSURE_SKELETON_ALPHA   # the fit is not trusted: drawn faint, not as if it were right
    if a <= 0.0:
        return
    I = SKELETON_INDEX
    hot = set(FAULT_BONES.get(cue.rule or "", ())) if (cue is not None and cue.kind == "fault") else set()
    hot_rgb = CUE_RGB["fault"]

    def P(name: str) -> Point:
        v = pts[I[name]]
        return (float(v[0]), float(v[1]))

    def bone(a_: str, b_: str, width: float, rgb: Rgb, tag: str, alpha: float) -> None:
        c.line(P(a_), P(b_), width * c.k, rgb, tag=tag, alpha=alpha, ref=False)

    # thin context: shoulders and the pelvis (unless a fault cue is about the pelvis: hip shift)
    for a_, b_ in (("shoulder_l", "neck"), ("neck", "shoulder_r")):
        bone(a_, b_, 6, WHITE, "skeleton.context", 0.5 * a)
    if "pelvis" not in hot:
        for a_, b_ in (("hip_l", "pelvis"), ("pelvis", "hip_r")):
            bone(a_, b_, 6, WHITE, "skeleton.context", 0.5 * a)
    # key lines: trunk (through the spine points, so rounding shows), thighs, shins; the part
    # a fault cue is about blends from cyan to the cue's colour as the cue fades in and out
    def colour(part: str) -> Rgb:
        if part not in hot:
            return CYAN
        f = clamp01(cue_alpha)
        return tuple(int(round(c0 + (c1 - c0) * f)) for c0, c1 in zip(CYAN, hot_rgb))

    for a_, b_ in (("pelvis", "spine_low"), ("spine_low", "spine_mid"), ("spine_mid", "neck")):
        bone(a_, b_, 12, colour("trunk"), "skeleton.trunk", a)
    if "pelvis" in hot:
        for a_, b_ in (("hip_l", "pelvis"), ("pelvis", "hip_r")):
            bone(a_, b_, 12, colour("pelvis"), "skeleton.pelvis", a)
    conf = view.skeleton_confidence

    def sure(name: str) -> float:
        """How brightly a leg joint, and the bone that ends at it, is drawn (LIMB_SURE)."""
        if conf is None or name not in FADED_LEG_JOINTS:
            return 1.0
        f = clamp01(float(conf[I[name]]) / LIMB_SURE)
        return UNSURE_SKELETON_ALPHA + (1.0 - UNSURE_SKELETON_ALPHA) * f

    for side in ("l", "r"):
        bone(f"hip_{side}", f"knee_{side}", 12, colour("thigh"), "skeleton.thigh", a * sure(f"knee_{side}"))
        bone(f"knee_{side}", f"ankle_{side}", 12, colour("shin"), "skeleton.shin", a * sure(f"ankle_{side}"))
    for name in ("neck", "shoulder_l", "shoulder_r", "pelvis", "hip_l", "hip_r", "knee_l", "knee_r",
                 "ankle_l", "ankle_r"):
        c.circle(P(name), 11 * c.k, WHITE, tag="skeleton.joint", alpha=a * sure(name), ref=False)


def _live(c: Canvas, view: View) -> None:
    st = view.state
    cue, cue_alpha = fading_cue(view)
    # while the coach cannot see the lifter's form (turned away, out of the zone) its skeleton
    # is drawn faint, it names no phase and the meter reads nothing: "DRIVE UP" as someone
    # walks off would be a guess
    unsure = st is not None and bool(st.notice_text)
    _skeleton(c, view, cue, cue_alpha, unsure)
    c.text("REPS", (40, 30, 420, 60), 58, GREY, align="left", tag="reps_label")
    c.text(str(st.rep_count if st else 0), (40, 85, 420, 230), 300, WHITE, align="left", tag="reps")
    if st is not None and st.last_rep is not None and 0.0 <= view.now_s - st.last_rep.end_t < LAST_REP_SHOW_S:
        fade = clamp01(min((view.now_s - st.last_rep.end_t) / FADE_S,
                            (LAST_REP_SHOW_S - (view.now_s - st.last_rep.end_t)) / FADE_S))
        if st.last_rep.faults:
            note, rgb = "last: " + FAULT_SHORT.get(st.last_rep.faults[0], st.last_rep.faults[0].replace("_", " ")), AMBER
        elif st.last_rep.verdict == "not judged":   # never shown as clean: the coach could not see
            # the back alone unreadable: the rest was seen, so it says which part
            note = "last: back not judged" if back_only(st.last_rep.not_judged) else "last: not judged"
            rgb = GREY
        else:
            note, rgb = "last: clean", GREEN
        c.text(note, (40, 320, 520, 70), 64, rgb, align="left", tag="last_rep", a=fade)
    phase = st.phase if st is not None and not unsure else None
    if phase:
        c.text(PHASE_TEXT.get(phase, phase.upper()), (500, 40, 540, 100), 96,
               PHASE_RGB.get(phase, WHITE), align="right", tag="phase")
    c.text(view.exercise_title, (500, 140, 540, 56), 48, GREY, align="right", tag="exercise")
    if view.show_muscles and st is not None:
        roles = muscle_roles_shown(view)
        figure(c, (855, 210, 190, 430), "back", st.muscles, roles, "muscles_back")
        figure(c, (30, 420, 170, 400), "front", st.muscles, roles, "muscles_front")
        figure_label(c, (770, 642, 310, 52), roles, ("drive",), "muscles_back.label")
        figure_label(c, (0, 822, 230, 52), roles, ("brace",), "muscles_front.label")
    # the meter reads the hinge of a rep in progress: standing still, knee and hip flexion are
    # a few degrees of noise and their ratio means nothing
    in_rep = st is not None and not unsure and st.phase in ("lowering", "bottom", "rising")
    hinge_meter(c, st.hinge_ratio if in_rep else None)
    if cue_alpha <= 0.0 and unsure:
        view_notice_box(c, st.notice_text)
    cue_box(c, cue, cue_alpha)


def _fmt_s(v: float | None) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.1f} s"


def _summary(c: Canvas, view: View) -> None:
    st = view.state
    s = st.set_summary if st is not None else None
    card_bottom = 1380 if (s is None or s.pattern != "squat") else 1580
    c.rect((30, 80, 1020, card_bottom - 80), DIM, width=4, radius=30, tag="card")
    c.text("SET COMPLETE", (60, 120, 960, 120), 120, WHITE, tag="title")
    c.text(view.exercise_title, (60, 240, 960, 70), 60, GREY, tag="exercise")
    reps = s.reps if s is not None else (st.rep_count if st else 0)
    c.text(str(reps), (60, 320, 960, 280), 340, WHITE, tag="reps")
    c.text("REP" if reps == 1 else "REPS", (60, 600, 960, 70), 66, GREY, tag="reps_label")
    if s is None:
        return
    clean_rgb = GREEN if s.clean_reps == s.reps else WHITE
    c.text(f"{s.clean_reps} clean", (60, 700, 960, 110), 116, clean_rgb, tag="clean")
    if s.most_frequent_fault:
        c.text("WORK ON", (60, 850, 960, 60), 54, GREY, tag="fault_label")
        text = FAULT_TEXT.get(s.most_frequent_fault, s.most_frequent_fault.replace("_", " "))
        n = s.fault_counts.get(s.most_frequent_fault)
        if n:
            text = f"{text} ({n}x)"
        c.paragraph(text, (70, 915, 940, 200), 84, AMBER, tag="fault", max_lines=3)
    elif s.reps and s.not_judged_reps >= s.reps and s.back_only_not_judged_reps < s.not_judged_reps:
        # a set the coach could not see is not a great set: it says so, and why it matters
        c.paragraph("Form not judged: I could not see you well enough.", (70, 880, 940, 240), 80,
                    AMBER, tag="fault", max_lines=2)
    elif s.not_judged_reps:
        # no fault seen; what went unjudged is said as it was: the back alone (the lifter was
        # seen, the back not readable at depth) or whole reps not seen well
        c.paragraph("No faults seen.", (70, 870, 940, 110), 96, GREEN, tag="fault", max_lines=1)
        reps_word = "rep" if s.not_judged_reps == 1 else "reps"
        if s.back_only_not_judged_reps >= s.not_judged_reps:
            which = "every rep" if s.not_judged_reps >= s.reps else f"{s.not_judged_reps} {reps_word}"
            unseen = f"Back not judged on {which}: I could not read it well enough."
        else:
            unseen = f"{s.not_judged_reps} {reps_word} not judged: I could not see them well."
        c.paragraph(unseen, (70, 985, 940, 150), 60, GREY, tag="not_judged", max_lines=2)
    else:
        c.paragraph("No faults. Great set!", (70, 880, 940, 120), 96, GREEN, tag="fault", max_lines=1)
    c.text("TEMPO", (60, 1160, 960, 60), 54, GREY, tag="tempo_label")
    c.text(f"down {_fmt_s(s.mean_eccentric_s)}    up {_fmt_s(s.mean_concentric_s)}", (60, 1225, 960, 100), 88,
           WHITE, tag="tempo")
    if s.pattern == "squat":
        c.paragraph("That looked like a squat: push the hips back, shins stay upright.",
                    (70, 1370, 940, 180), 62, AMBER, tag="pattern", max_lines=2)
    c.paragraph("Rest, then step in for your next set.", (60, 1690, 960, 160), 70, GREY, tag="next",
                max_lines=2)


def _calibration(c: Canvas, view: View) -> None:
    cal = view.calibration
    c.text("CALIBRATION", (40, 70, 1000, 130), 128, WHITE, tag="title")
    c.text("Staff set-up check", (40, 200, 1000, 60), 56, GREY, tag="subtitle")
    if cal is None:
        c.paragraph("No measurement yet: waiting for the camera.", (60, 400, 960, 200), 72, AMBER, tag="status")
        return
    rows = []
    rows.append(("Floor", "found" if cal.floor_found else ("not seen" if cal.result else "looking..."),
                 cal.floor_found))
    if cal.camera_height_m is not None:
        dh = cal.camera_height_m - cal.expected_height_m
        rows.append(("Camera height", f"{cal.camera_height_m:.2f} m (set {cal.expected_height_m:.2f})", abs(dh) <= 0.05))
    else:
        rows.append(("Camera height", "-", None))
    if cal.camera_pitch_deg is not None:
        dp = cal.camera_pitch_deg - cal.expected_pitch_deg
        rows.append(("Camera pitch", f"{cal.camera_pitch_deg:.1f}° (set {cal.expected_pitch_deg:.1f}°)", abs(dp) <= 3.0))
    else:
        rows.append(("Camera pitch", "-", None))
    if cal.background_fraction is not None:
        rows.append(("Empty scene", f"learned over {100 * cal.background_fraction:.0f}% of the view",
                     cal.background_fraction >= 0.5))
    z = cal.zone
    zx, zy = z.centre_x_m, z.centre_y_m
    rows.append(("Zone", f"{zy:.1f} m out, {z.width_m:.1f} x {z.depth_m:.1f} m", None))
    for i, (label, value, ok) in enumerate(rows):
        y = 320 + i * 150
        check_mark(c, (90, y + 60), ok, tag=f"row{i}")
        c.text(label, (150, y, 880, 56), 54, GREY, align="left", tag=f"row{i}.label")
        c.text(value, (150, y + 55, 900, 80), 74, WHITE if ok is not False else AMBER, align="left",
               tag=f"row{i}.value")
    offset = None
    if cal.person_floor_m is not None:
        offset = (cal.person_floor_m[0] - zx, cal.person_floor_m[1] - zy)
    top = 320 + len(rows) * 150
    zone_diagram(c, (240, top, 600, 1540 - top), (z.width_m, z.depth_m), offset, "zone")
    if cal.result is not None:
        c.paragraph(cal.result, (60, 1560, 960, 300), 52, GREEN if cal.result_ok else AMBER,
                    tag="advice", max_lines=5)
        return
    problems = []
    if any(ok is False for _, _, ok in rows[1:3]):
        problems.append("Measured and configured camera differ: check camera.mount in the "
                        "station config, or the mount itself.")
    if not cal.floor_found:
        problems.append("Keep the zone clear and the floor visible while the floor is measured.")
    text = problems[0] if problems else "All good. Keep the zone clear; press C to leave calibration."
    c.paragraph(text, (60, 1560, 960, 300), 58, AMBER if problems else GREEN, tag="advice", max_lines=4)


_CAMERA_REASON = {
    "no camera": "The depth camera is not connected.",
    "reconnecting": "The depth camera stopped sending images.",
    "stopped": "The depth camera has stopped.",
}


def _attention(c: Canvas, view: View) -> None:
    h = view.health
    # warning triangle
    c.polygon(((540, 80), (700, 350), (380, 350)), AMBER, width=14, tag="icon")
    c.rect((531, 160, 18, 110), AMBER, tag="icon")
    c.circle((540, 305), 13, AMBER, tag="icon")
    c.paragraph("STATION NEEDS ATTENTION", (40, 400, 1000, 220), 120, AMBER, tag="title", max_lines=2)
    y = 640
    if h.config_fatal:
        c.paragraph("The configuration file has errors and there are no good settings to run on.",
                    (60, y, 960, 200), 66, WHITE, tag="reason", max_lines=3)
        y += 230
        c.text("FOR STAFF", (60, y, 960, 60), 54, GREY, align="left", tag="staff")
        y += 70
        lines = [ln.strip() for ln in (h.config_error or "").strip().splitlines() if ln.strip()]
        for ln in lines[:6]:
            y += c.paragraph(ln, (60, y, 960, 200), 46, AMBER, align="left", tag="problem", max_lines=3) + 8
        y += 20
        where = h.config_path or "/etc/station/station.toml"
        for s in (f"Fix {where}", "Check it with: station config check",
                  "The station starts by itself once the file is good."):
            y += c.paragraph(s, (60, y, 960, 160), 50, WHITE, align="left", tag="steps", max_lines=2) + 10
    else:
        c.paragraph(_CAMERA_REASON.get(h.camera_status, "The depth camera is not working."),
                    (60, y, 960, 200), 70, WHITE, tag="reason", max_lines=2)
        y += 150
        c.paragraph("Reconnecting automatically...", (60, y, 960, 80), 58, CYAN, tag="status", max_lines=1)
        y += 130
        c.text("FOR STAFF", (60, y, 960, 60), 54, GREY, align="left", tag="staff")
        y += 80
        for s in ("1. Check the camera's USB 3 cable at both ends (blue port on the Pi).",
                  "2. List cameras on the station: station cameras",
                  "3. If it stays lost: sudo systemctl restart station"):
            y += c.paragraph(s, (60, y, 960, 200), 54, WHITE, align="left", tag="steps", max_lines=3) + 18
        if h.camera_detail:
            c.paragraph(h.camera_detail, (60, y + 10, 960, 140), 36, GREY, align="left", tag="detail",
                        max_lines=3)
    c.paragraph("Coaching is paused. Please ask the staff.", (40, 1720, 1000, 150), 66, GREY, tag="lifter",
                max_lines=2)


_SCREENS = {"idle": _idle, "positioning": _positioning, "live": _live, "summary": _summary,
            "calibration": _calibration, "attention": _attention}


def layout(view: View, size_px: tuple[int, int]) -> list[Shape]:
    """The shapes of the screen for `view`, in pixels of a screen of size_px (w, h)."""
    screen = choose_screen(view)
    m = view.memory
    alpha = 1.0
    if m.screen == screen and math.isfinite(m.screen_since_s):
        # a new screen fades in from SCREEN_FADE_FROM, never from black (a black frame between
        # the last rep and the set summary reads as a flash)
        f = clamp01((view.now_s - m.screen_since_s) / FADE_S)
        alpha = SCREEN_FADE_FROM + (1.0 - SCREEN_FADE_FROM) * f
    c = Canvas(size_px, alpha)
    _SCREENS[screen](c, view)
    if screen != "attention":
        staff_notice(c, view)
    return c.shapes
