"""Hand-built CoachStates, skeletons and views for every overlay screen.

Until the form evaluator lands these stand in for it: every field is plain data. Run as a
script to render every screen to PNG:

    SDL_VIDEODRIVER=dummy python -m tests.overlay.fixtures OUT_DIR [WIDTHxHEIGHT]
"""
from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from station.config import StationConfig
from station.frames import T_floor_cam_from_mount, apply, invert
from station.model import SKELETON_INDEX, SKELETON_POINTS, CoachState, Cue, RepVerdict, SetSummary
from station.form.texts import notice_text
from station.overlay.view import Calibration, Health, OverlayMemory, Presence, View, remember, choose_screen
from station.segment.person import LiftingZone
from station.overlay.mirror import eye_from_head, mirror_geometry, register

CFG = StationConfig.model_validate({"station": {"id": "test"}})
ZONE = LiftingZone.from_config(CFG.zone)   # in front of the display (the camera is beside it)
T_FLOOR_CAM = T_floor_cam_from_mount(CFG.camera.mount.height_m, CFG.camera.mount.pitch_down_deg)


def hinge_pose_floor(hip_deg: float, knee_deg: float, y_m: float = 2.6,
                     x_m: float = CFG.zone.centre_lateral_m) -> np.ndarray:
    """A lifter facing the mirror (forward = floor -y) in a hinge: (len(SKELETON_POINTS), 3)
    floor frame. hip_deg is hip flexion, knee_deg knee flexion (shin leans forward by 60 % of
    it, the thigh back by 40 %)."""
    P = np.zeros((len(SKELETON_POINTS), 3))
    I = SKELETON_INDEX
    shin_a, thigh_a = math.radians(0.6 * knee_deg), math.radians(0.4 * knee_deg)
    trunk_a = math.radians(hip_deg) - thigh_a
    for side, sx in (("l", 1.0), ("r", -1.0)):
        ankle = np.array([x_m + sx * 0.12, y_m, 0.08])
        knee = ankle + 0.43 * np.array([0.0, -math.sin(shin_a), math.cos(shin_a)])
        hip = knee + 0.45 * np.array([0.0, math.sin(thigh_a), math.cos(thigh_a)])
        hip[0] = x_m + sx * 0.10
        P[I[f"ankle_{side}"]], P[I[f"knee_{side}"]], P[I[f"hip_{side}"]] = ankle, knee, hip
    pelvis = 0.5 * (P[I["hip_l"]] + P[I["hip_r"]])
    d = np.array([0.0, -math.sin(trunk_a), math.cos(trunk_a)])
    P[I["pelvis"]] = pelvis
    P[I["spine_low"]] = pelvis + 0.10 * d
    P[I["spine_mid"]] = pelvis + 0.28 * d
    P[I["neck"]] = pelvis + 0.52 * d
    P[I["head"]] = P[I["neck"]] + 0.14 * d
    for side, sx in (("l", 1.0), ("r", -1.0)):
        sh = P[I["neck"]] - 0.04 * d + np.array([sx * 0.19, 0.0, 0.0])
        el = sh + np.array([0.0, 0.0, -0.28])
        P[I[f"shoulder_{side}"]], P[I[f"elbow_{side}"]] = sh, el
        P[I[f"wrist_{side}"]] = el + np.array([0.0, 0.0, -0.26])
    return P


def skeleton_cam(hip_deg: float = 0.0, knee_deg: float = 0.0, **kw) -> np.ndarray:
    return apply(invert(T_FLOOR_CAM), hinge_pose_floor(hip_deg, knee_deg, **kw))


def registered(points_cam_m: np.ndarray, size_px=(1080, 1920)) -> np.ndarray:
    geo = mirror_geometry(CFG, size_px=size_px)
    eye = eye_from_head(points_cam_m[SKELETON_INDEX["head"]], geo)
    return register(points_cam_m, eye, geo)


MUSCLES_OFF = {"glutes": 0.0, "hamstrings": 0.0, "erector_spinae": 0.3, "abdominals": 0.3, "lats": 0.3}
MUSCLES_LOWERING = {"glutes": 0.6, "hamstrings": 1.0, "erector_spinae": 0.8, "abdominals": 0.7, "lats": 0.7}
MUSCLES_RISING = {"glutes": 1.0, "hamstrings": 0.9, "erector_spinae": 0.8, "abdominals": 0.7, "lats": 0.7}

CUE_HIPS = Cue("push_hips_back", "Push your hips back", "fault", "knee_dominant", 10.0)
CUE_BACK = Cue("brace_flat_back", "Brace: keep your back flat", "fault", "rounded_back", 10.0)
CUE_PRAISE = Cue("good_rep", "Good rep!", "praise", None, 10.0)


def state(screen: str = "live", phase: str | None = "lowering", reps: int = 3, cue: Cue | None = None,
          hinge: float | None = 0.8, depth: float | None = 0.5, t_s: float = 10.5, muscles=None,
          last_rep: RepVerdict | None = None, summary: SetSummary | None = None) -> CoachState:
    return CoachState(t_s=t_s, exercise="rdl", screen=screen, phase=phase, rep_count=reps, cue=cue,
                      hinge_ratio=hinge, depth_fraction=depth, last_rep=last_rep, set_summary=summary,
                      muscles=dict(MUSCLES_LOWERING if muscles is None else muscles))


SUMMARY = SetSummary(reps=8, clean_reps=6, most_frequent_fault="knee_dominant",
                     fault_counts={"knee_dominant": 2}, mean_eccentric_s=2.1, mean_concentric_s=1.0,
                     pattern="hinge", start_t=3.0, end_t=40.0)
CLEAN_SUMMARY = SetSummary(reps=5, clean_reps=5, most_frequent_fault=None, fault_counts={},
                           mean_eccentric_s=1.8, mean_concentric_s=1.2, pattern="hinge",
                           start_t=3.0, end_t=25.0)
CALIBRATION = Calibration(floor_found=True, camera_height_m=1.88, camera_pitch_deg=24.6,
                          expected_height_m=1.90, expected_pitch_deg=25.0, zone=ZONE, person_floor_m=None)


def settled(view: View) -> View:
    """The view with its memory as after a second on the same screen (no fade in progress)."""
    mem = remember(OverlayMemory(), choose_screen(view), view.state.cue if view.state else None,
                   view.now_s - 1.0)
    return replace(view, memory=mem)


def views(size_px=(1080, 1920)) -> dict[str, View]:
    """One view per screen (and a few variants), settled."""
    bottom = skeleton_cam(80.0, 20.0)
    standing = skeleton_cam(0.0, 5.0)
    lowering = skeleton_cam(45.0, 15.0)
    squat = skeleton_cam(70.0, 70.0)
    out = {
        "idle": View(state=state("idle", None, 0, muscles=MUSCLES_OFF), now_s=10.5),
        "positioning": View(state=state("positioning", None, 0), now_s=10.5,
                            presence=Presence(in_zone=False, upright=True, offset_m=(0.1, 0.7)),
                            calibration=CALIBRATION),
        "positioning_ok": View(state=state("positioning", None, 0), now_s=10.5,
                               presence=Presence(in_zone=True, upright=True, offset_m=(0.05, 0.1)),
                               calibration=CALIBRATION),
        # in the zone, but the depth over them too noisy to judge from (far, a poor unit)
        "positioning_come_closer": View(state=replace(state("positioning", None, 0), notice="come_closer",
                                                      notice_text=notice_text("come_closer")),
                                        now_s=10.5, presence=Presence(in_zone=True, upright=True, offset_m=(0.05, 0.1)),
                                        calibration=CALIBRATION),
        "live_standing": View(state=state("live", "standing", 0, None, hinge=None, muscles=MUSCLES_OFF),
                              now_s=10.5, skeleton_px=registered(standing, size_px)),
        "live_lowering_cue": View(state=state("live", "lowering", 3, CUE_HIPS, hinge=0.55), now_s=10.5,
                                  skeleton_px=registered(lowering, size_px)),
        "live_bottom": View(state=state("live", "bottom", 3, None, hinge=0.8), now_s=10.5,
                            skeleton_px=registered(bottom, size_px)),
        "live_rising_back_cue": View(state=state("live", "rising", 4, CUE_BACK, hinge=0.78,
                                                 muscles=MUSCLES_RISING), now_s=10.5,
                                     skeleton_px=registered(lowering, size_px)),
        "live_squat": View(state=state("live", "bottom", 2, CUE_HIPS, hinge=0.35), now_s=10.5,
                           skeleton_px=registered(squat, size_px)),
        "live_lockout_lastrep": View(state=state("live", "lockout", 5, CUE_PRAISE, hinge=None,
                                                 muscles={"glutes": 1.0, "hamstrings": 0.4, "erector_spinae": 0.5,
                                                          "abdominals": 0.6, "lats": 0.5},
                                                 last_rep=RepVerdict(6.0, 7.5, 10.0, "hinge", (), {})),
                                     now_s=10.5, skeleton_px=registered(standing, size_px)),
        # something right in front of the camera hides the lifter's back at the bottom
        "live_view_blocked": View(state=replace(state("live", "bottom", 3, None, hinge=0.8),
                                                notice="view_blocked", notice_text=notice_text("view_blocked")),
                                  now_s=10.5, skeleton_px=registered(bottom, size_px)),
        "summary": View(state=state("summary", None, 8, summary=SUMMARY), now_s=10.5),
        "summary_clean": View(state=state("summary", None, 5, summary=CLEAN_SUMMARY), now_s=10.5),
        "calibration": View(state=None, now_s=10.5, mode="calibration",
                            calibration=replace(CALIBRATION, person_floor_m=(0.2, 3.1))),
        "calibration_bad": View(state=None, now_s=10.5, mode="calibration",
                                calibration=Calibration(False, 1.62, 31.0, 1.90, 25.0, ZONE)),
        "attention_camera": View(state=None, now_s=10.5,
                                 health=Health(camera_status="reconnecting",
                                               camera_detail="camera (first found): Frame didn't arrive within 1000")),
        "attention_config": View(state=None, now_s=10.5,
                                 health=Health(config_fatal=True, config_path="/etc/station/station.toml",
                                               config_error="/etc/station/station.toml:31: camera.fps = 45 — "
                                                            "one of 6, 15, 30, 60, 90 (frames per second)")),
        "live_staff_notice": View(state=state("live", "bottom", 3, None, hinge=0.8), now_s=10.5,
                                  skeleton_px=registered(bottom, size_px),
                                  health=Health(config_error="/etc/station/station.toml:44: zone.width_m = 9.0 — "
                                                             "a number from 0.5 to 4 metres")),
    }
    return {k: settled(v) for k, v in out.items()}


def render_all(out_dir: str | Path, size_px=(1080, 1920)) -> list[Path]:
    from station.overlay.screens import layout
    from station.overlay.screen import Screen

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    screen = Screen(size_px, headless=True)
    paths = []
    try:
        for name, view in views(size_px).items():
            screen.draw(layout(view, size_px))
            p = out_dir / f"{name}.png"
            screen.save_png(p)
            paths.append(p)
    finally:
        screen.close()
    return paths


if __name__ == "__main__":
    size = (1080, 1920)
    if len(sys.argv) > 2:
        w, h = sys.argv[2].lower().split("x")
        size = (int(w), int(h))
    for p in render_all(sys.argv[1] if len(sys.argv) > 1 else "overlay-screens", size):
        print(p)
