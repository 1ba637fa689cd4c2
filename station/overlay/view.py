"""What one drawn frame depends on, and the view-model that builds it (pure, no pygame).

:class:`View` gathers the coach state, the registered skeleton, calibration and health
information and the clock; :func:`choose_screen` picks the screen it shows and
:func:`remember` keeps the timestamps the fades need between frames.

:func:`station_view` is the overlay's view-model: the worker's newest :class:`Tick`, the
display clock, the station's settings (:class:`ViewSettings`, from the config and the
exercise profiles), the skeleton last registered on the mirror, the station's health, the
staff mode and the fade memory in; the View to draw and its screen out. It reads no clock and
keeps no state: the main loop (station.live.Station) owns the state and passes it in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from station.model import CoachState, Cue, Tick
from station.overlay.layout import DEFAULT_ROLES
from station.segment.person import LiftingZone

SKELETON_HOLD_S = 0.10    # keep drawing a skeleton this long after the fitter lost it ...
SKELETON_FADE_S = 0.25    # ... then fade it out over this long
# A joint's confidence as drawn falls at once with the fit's and rises back over this long: a
# breaking fit's confidence flickers between 0 and 1 frame by frame (a lifter turning to walk
# away: knees and ankles 0.0-1.0 over 1.5 s), and a limb would flicker with it
JOINT_RISE_S = 0.3


@dataclass(frozen=True)
class Health:
    """Is the station able to coach? camera_status as LiveCamera.status ("streaming",
    "reconnecting", "no camera", "starting", "stopped"); config_error: the problem with the
    config file as it is now (the station keeps its last good config); config_fatal: there is
    no good config at all."""

    camera_status: str = "streaming"
    camera_detail: str | None = None
    config_error: str | None = None
    config_fatal: bool = False
    config_path: str | None = None
    calibration_notice: str | None = None   # e.g. "the camera has moved: recalibrate (...)"


@dataclass(frozen=True)
class Calibration:
    """What the station measured about its set-up (floor frame, metres and degrees)."""

    floor_found: bool
    camera_height_m: float | None
    camera_pitch_deg: float | None
    expected_height_m: float
    expected_pitch_deg: float
    zone: LiftingZone                        # the configured lifting zone (floor frame)
    person_floor_m: tuple[float, float] | None = None
    background_fraction: float | None = None  # `station calibrate`: share of the view learned
    result: str | None = None                 # `station calibrate`: saved, or why refused
    result_ok: bool | None = None


@dataclass(frozen=True)
class Presence:
    """Where the person is, for the positioning screen. offset_m: person minus zone centre,
    floor frame (x = the lifter's left when facing the mirror, y = away from the mirror)."""

    in_zone: bool | None = None
    upright: bool | None = None
    offset_m: tuple[float, float] | None = None


@dataclass(frozen=True)
class OverlayMemory:
    """Timestamps the fades need (stream seconds), kept between frames by :func:`remember`."""

    screen: str | None = None
    screen_since_s: float = -math.inf
    cue: Cue | None = None
    cue_gone_s: float | None = None


def remember(memory: OverlayMemory, screen: str, cue: Cue | None, now_s: float) -> OverlayMemory:
    """The memory after drawing `screen` with `cue` at `now_s` (pure)."""
    m = memory
    if screen != m.screen:
        m = replace(m, screen=screen, screen_since_s=now_s)
    if cue is not None:
        if m.cue is None or m.cue.key != cue.key or m.cue.t_s != cue.t_s or m.cue_gone_s is not None:
            m = replace(m, cue=cue, cue_gone_s=None)
    elif m.cue is not None and m.cue_gone_s is None:
        m = replace(m, cue_gone_s=now_s)
    return m


@dataclass(frozen=True)
class View:
    """Everything one drawn frame depends on.

    skeleton_px: (len(SKELETON_POINTS), 2) registered display pixels (NaN = not drawable).
    skeleton_alpha: 0..1, fades a skeleton that has not been updated for a moment.
    skeleton_confidence: (len(SKELETON_POINTS),) its joints' confidence as drawn
    (ShownSkeleton.confidence; None: all sure): a limb the fit is unsure of is drawn faint.
    mode: "calibration" forces the calibration screen (staff).
    """

    state: CoachState | None
    now_s: float
    skeleton_px: np.ndarray | None = None
    skeleton_alpha: float = 1.0
    skeleton_confidence: np.ndarray | None = None
    health: Health = Health()
    calibration: Calibration | None = None
    presence: Presence | None = None
    mode: str | None = None
    memory: OverlayMemory = OverlayMemory()
    exercise_title: str = "Romanian deadlift"
    muscle_roles: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ROLES))
    show_muscles: bool = True


def choose_screen(view: View) -> str:
    h = view.health
    if h.config_fatal or h.camera_status in ("reconnecting", "no camera", "stopped"):
        return "attention"
    if view.mode == "calibration":
        return "calibration"
    if view.state is None:
        if view.calibration is not None and not view.calibration.floor_found:
            return "calibration"
        return "idle"
    return view.state.screen if view.state.screen in ("idle", "positioning", "live", "summary") else "idle"


# --------------------------------------------------------------------------- view-model


@dataclass(frozen=True)
class ViewSettings:
    """What the view-model reads from the station config and the exercise profiles.

    titles: exercise name -> (title shown, {muscle: role}) for every profile the station
    offers (the screen names the exercise the evaluator is judging, recognised or fixed).
    """

    zone: LiftingZone
    expected_height_m: float
    expected_pitch_deg: float
    default_exercise: str
    titles: dict[str, tuple[str, dict[str, str]]]
    show_muscles: bool = True

    @classmethod
    def from_config(cls, cfg, profiles: dict | None = None) -> "ViewSettings":
        """From a StationConfig and its profiles (read from disk when not given; a profile
        that cannot be read leaves the exercise's own name as its title)."""
        from station.config import ConfigError, load_profiles

        try:
            profiles = profiles or load_profiles(cfg)
        except ConfigError:
            profiles = None
        titles: dict[str, tuple[str, dict[str, str]]] = {}
        if profiles is None:
            titles[cfg.exercise.default] = (cfg.exercise.default, {})
        for name, p in (profiles or {}).items():
            roles = {}
            for role, names in (("drive", p.muscles.drive), ("hold", p.muscles.isometric),
                                ("brace", p.muscles.brace)):
                for n in names:
                    roles[n] = role
            titles[name] = (p.title, roles)
        m = cfg.camera.mount
        return cls(zone=LiftingZone.from_config(cfg.zone), expected_height_m=m.height_m,
                   expected_pitch_deg=m.pitch_down_deg, default_exercise=cfg.exercise.default,
                   titles=titles, show_muscles=cfg.cues.show_muscles)


@dataclass(frozen=True)
class ShownSkeleton:
    """The newest skeleton registered on the mirror: display pixels (len(SKELETON_POINTS), 2),
    the tick it came from and when that tick was ready (time.monotonic); its joints'
    confidence as drawn (shown_confidence; None: all sure) and the tick's stream time."""

    px: np.ndarray
    seq: int
    done_mono: float
    confidence: np.ndarray | None = None
    t_s: float = 0.0


def shown_confidence(before: ShownSkeleton | None, confidence: np.ndarray | None,
                     t_s: float) -> np.ndarray | None:
    """The joints' confidence to draw a new skeleton with, at stream time t_s: the fit's,
    but rising from the one drawn before by at most 1 per JOINT_RISE_S (falling at once)."""
    if confidence is None:
        return None
    conf = np.clip(np.asarray(confidence, np.float64), 0.0, 1.0)
    if before is not None and before.confidence is not None and len(before.confidence) == len(conf):
        rise = max(0.0, t_s - before.t_s) / JOINT_RISE_S
        conf = np.minimum(conf, before.confidence + rise)
    return conf


def skeleton_fade(shown: ShownSkeleton | None, tick: Tick | None, now_mono: float) -> tuple[np.ndarray | None, float]:
    """(pixels, alpha) to draw: the newest skeleton while the fitter has one, held for
    SKELETON_HOLD_S after it lost it, then faded out over SKELETON_FADE_S."""
    if shown is None:
        return None, 0.0
    age = now_mono - shown.done_mono
    if tick is not None and tick.skeleton_cam_m is not None:
        age = min(age, 0.0)
    alpha = 1.0 - (age - SKELETON_HOLD_S) / SKELETON_FADE_S
    if alpha <= 0.0:
        return None, 0.0
    return shown.px, min(1.0, alpha)


def station_view(tick: Tick | None, now_mono: float, settings: ViewSettings, *, skeleton: ShownSkeleton | None,
                 health: Health, mode: str | None, memory: OverlayMemory) -> tuple[View, str]:
    """The View to draw at monotonic time `now_mono` for the newest tick, and its screen.

    The stream clock is extrapolated from the tick; the staff `mode` ("calibration" or None)
    is forced to calibration while starting up (no floor found yet, nobody coached). The
    returned View carries `memory` as remembered after this frame (its fades).
    """
    if tick is None:
        state, now_s = None, 0.0
    else:
        state, now_s = tick.state, tick.t_s + max(0.0, now_mono - tick.done_mono)
    skel_px, skel_alpha = skeleton_fade(skeleton, tick, now_mono)
    zone = settings.zone
    cal = Calibration(
        floor_found=tick is not None and tick.floor is not None,
        camera_height_m=None if tick is None else tick.camera_height_m,
        camera_pitch_deg=None if tick is None else tick.camera_pitch_deg,
        expected_height_m=settings.expected_height_m, expected_pitch_deg=settings.expected_pitch_deg,
        zone=zone, person_floor_m=None if tick is None else tick.person_centroid_floor_m)
    presence = None
    if tick is not None and tick.person_present:
        xy = tick.person_centroid_floor_m
        presence = Presence(in_zone=None if xy is None else bool(zone.contains(xy[0], xy[1])),
                            upright=tick.person_upright,
                            offset_m=None if xy is None else (xy[0] - zone.centre_x_m, xy[1] - zone.centre_y_m))
    if mode is None and tick is not None and tick.floor is None and state is not None and state.screen == "idle":
        mode = "calibration"   # starting up: the floor has not been found yet
    titles = settings.titles
    shown = state.exercise if state is not None and state.exercise in titles else settings.default_exercise
    title, roles = titles.get(shown, (shown, {}))
    view = View(state=state, now_s=now_s, skeleton_px=skel_px, skeleton_alpha=skel_alpha,
                skeleton_confidence=None if skel_px is None or skeleton is None else skeleton.confidence,
                health=health,
                calibration=cal, presence=presence, mode=mode, memory=memory, exercise_title=title,
                muscle_roles=roles or dict(DEFAULT_ROLES), show_muscles=settings.show_muscles)
    screen = choose_screen(view)
    memory = remember(memory, screen, state.cue if state is not None else None, now_s)
    return replace(view, memory=memory), screen
