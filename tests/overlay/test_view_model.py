"""The overlay's view-model (station.overlay.view.station_view), tested directly: a Tick, the
display clock and the station's settings in; the View to draw and its screen out. No
pygame, no threads, no clock read."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from station.model import FloorPlane, SKELETON_POINTS, Tick
from station.overlay.view import (
    JOINT_RISE_S, SKELETON_FADE_S, SKELETON_HOLD_S, Health, OverlayMemory, ShownSkeleton, ViewSettings,
    shown_confidence, skeleton_fade, station_view,
)
from station.segment.person import LiftingZone
from tests.overlay import fixtures as fx

ZONE = LiftingZone(centre_x_m=0.2, centre_y_m=2.6, width_m=1.6, depth_m=1.8)
SETTINGS = ViewSettings(zone=ZONE, expected_height_m=1.9, expected_pitch_deg=25.0, default_exercise="rdl",
                        titles={"rdl": ("Romanian deadlift", {"glutes": "drive", "erector_spinae": "hold"}),
                                "kettlebell_swing": ("Kettlebell swing", {})})
FLOOR = FloorPlane(np.array([0.0, -0.9, -0.42]) / np.linalg.norm([0.0, -0.9, -0.42]), 1.7)


def tick(seq=1, t_s=5.0, done_mono=100.0, state=None, floor=FLOOR, present=True, xy=(0.2, 2.6),
         skeleton=True, **kw) -> Tick:
    return Tick(seq=seq, arrival_mono=done_mono - 0.01, done_mono=done_mono, t_s=t_s,
                state=state if state is not None else fx.state("live", "lowering", 2, fx.CUE_HIPS, t_s=t_s),
                skeleton_cam_m=fx.skeleton_cam(45.0, 15.0) if skeleton else None, floor=floor,
                track_state="tracking", person_present=present, person_upright=True,
                person_centroid_floor_m=xy, camera_height_m=1.88, camera_pitch_deg=24.6, **kw)


def view_of(t, now_mono=100.0, skeleton=None, mode=None, memory=OverlayMemory(), health=Health()):
    return station_view(t, now_mono, SETTINGS, skeleton=skeleton, health=health, mode=mode, memory=memory)


def test_no_tick_yet_shows_calibration_until_the_floor_is_found():
    view, screen = view_of(None)
    assert screen == "calibration" and view.state is None and view.now_s == 0.0
    assert view.calibration.floor_found is False and view.calibration.zone is ZONE
    assert view.presence is None and view.memory.screen == "calibration"


def test_stream_clock_is_extrapolated_from_the_tick_never_backwards():
    view, _ = view_of(tick(t_s=5.0, done_mono=100.0), now_mono=100.25)
    assert view.now_s == pytest.approx(5.25)
    view, _ = view_of(tick(t_s=5.0, done_mono=100.0), now_mono=99.0)
    assert view.now_s == 5.0


def test_presence_is_measured_against_the_configured_zone():
    off = tick(state=fx.state("positioning", None, 0), xy=(1.3, 3.1))
    view, screen = view_of(off)
    assert screen == "positioning"
    assert view.presence.in_zone is False                       # 1.3 m across: outside 0.2 ± 0.8
    assert view.presence.offset_m == pytest.approx((1.1, 0.5))
    inside, _ = view_of(replace(off, person_centroid_floor_m=(0.5, 2.0)))
    assert inside.presence.in_zone is True and inside.presence.offset_m == pytest.approx((0.3, -0.6))
    nobody, _ = view_of(replace(off, person_present=False))
    assert nobody.presence is None


def test_starting_up_without_a_floor_forces_the_calibration_screen_only_when_idle():
    idle = fx.state("idle", None, 0)
    _, screen = view_of(tick(state=idle, floor=None, present=False))
    assert screen == "calibration"
    _, screen = view_of(tick(state=idle, present=False))
    assert screen == "idle"
    _, screen = view_of(tick(floor=None))                      # coaching: never interrupted
    assert screen == "live"


def test_title_and_muscle_roles_follow_the_exercise_being_judged():
    view, _ = view_of(tick(state=replace(fx.state(), exercise="kettlebell_swing")))
    assert view.exercise_title == "Kettlebell swing"
    assert view.muscle_roles == {"glutes": "drive", "hamstrings": "drive", "erector_spinae": "hold", "abdominals": "brace",
                                 "lats": "brace"}                # no roles in the profile: the defaults
    view, _ = view_of(tick(state=replace(fx.state(), exercise="not_offered")))
    assert view.exercise_title == "Romanian deadlift"           # the station's default
    assert view.muscle_roles == {"glutes": "drive", "erector_spinae": "hold"}


def test_memory_remembers_the_screen_and_the_cue_for_the_fades():
    t = tick()
    view, screen = view_of(t, now_mono=100.0)
    assert screen == "live" and view.memory.screen == "live" and view.memory.screen_since_s == 5.0
    assert view.memory.cue == fx.CUE_HIPS and view.memory.cue_gone_s is None
    gone = replace(t, state=fx.state("live", "rising", 2, None, t_s=5.5), t_s=5.5, done_mono=100.5)
    later, _ = view_of(gone, now_mono=100.5, memory=view.memory)
    assert later.memory.cue == fx.CUE_HIPS and later.memory.cue_gone_s == 5.5
    assert later.memory.screen_since_s == 5.0                   # same screen: no new fade


def test_attention_wins_over_everything():
    _, screen = view_of(tick(), health=Health(camera_status="reconnecting"))
    assert screen == "attention"


def test_the_view_model_is_pure():
    t = tick()
    shown = ShownSkeleton(np.zeros((len(SKELETON_POINTS), 2)), seq=1, done_mono=100.0)
    a = view_of(t, now_mono=100.1, skeleton=shown)
    b = view_of(t, now_mono=100.1, skeleton=shown)
    assert a[1] == b[1] and a[0].now_s == b[0].now_s and a[0].memory == b[0].memory
    assert a[0].skeleton_px is shown.px and a[0].skeleton_alpha == 1.0


def test_a_lost_skeleton_is_held_then_faded_out():
    shown = ShownSkeleton(np.ones((len(SKELETON_POINTS), 2)), seq=1, done_mono=100.0)
    lost = tick(seq=2, done_mono=100.0, skeleton=False)
    assert skeleton_fade(shown, lost, 100.0 + SKELETON_HOLD_S)[1] == 1.0
    px, a = skeleton_fade(shown, lost, 100.0 + SKELETON_HOLD_S + SKELETON_FADE_S / 2)
    assert px is shown.px and a == pytest.approx(0.5)
    assert skeleton_fade(shown, lost, 100.0 + SKELETON_HOLD_S + SKELETON_FADE_S + 0.01) == (None, 0.0)
    # while the fitter still has it, a late display frame never fades it
    assert skeleton_fade(shown, tick(seq=1), 105.0)[1] == 1.0
    assert skeleton_fade(None, lost, 100.0) == (None, 0.0)


def test_a_joints_confidence_falls_at_once_and_comes_back_over_a_moment():
    n = len(SKELETON_POINTS)
    px = np.ones((n, 2))
    sure = shown_confidence(None, np.full(n, 0.9), 5.0)
    assert np.allclose(sure, 0.9)
    shown = ShownSkeleton(px, seq=1, done_mono=100.0, confidence=sure, t_s=5.0)
    breaking = np.full(n, 0.9)
    breaking[3] = 0.0                                   # one frame unsure: drawn unsure at once
    shown = ShownSkeleton(px, 2, 100.03, shown_confidence(shown, breaking, 5.033), 5.033)
    assert shown.confidence[3] == 0.0 and shown.confidence[2] == pytest.approx(0.9)
    # sure again on the next frame (a flickering fit): it comes back at 1 per JOINT_RISE_S
    back = shown_confidence(shown, np.full(n, 0.9), 5.033 + JOINT_RISE_S / 3)
    assert back[3] == pytest.approx(1 / 3) and back[2] == pytest.approx(0.9)
    assert shown_confidence(shown, np.full(n, 0.9), 5.033 + JOINT_RISE_S)[3] == pytest.approx(0.9)
    assert shown_confidence(shown, None, 5.1) is None    # no confidence: drawn as sure
    # the view draws the shown skeleton's confidence with it
    v, _ = view_of(tick(), now_mono=100.1, skeleton=shown)
    assert v.skeleton_confidence is shown.confidence


def test_settings_from_the_config_name_every_offered_exercise():
    s = ViewSettings.from_config(fx.CFG)
    assert s.zone == LiftingZone.from_config(fx.CFG.zone)
    assert s.default_exercise == fx.CFG.exercise.default and s.default_exercise in s.titles
    title, roles = s.titles[s.default_exercise]
    assert title and set(roles.values()) <= {"drive", "hold", "brace"}
