"""The arms against ground truth: hands held at the chest are fitted folded, where they are.

A bodyweight good morning holds the hands at the chest (elbows folded ~135 deg). The fitter
used to reach them with a forearm folded to its limit and still leave them low (its upper arm,
Winter's 0.186 H, is longer than the mesh rig's 0.146-0.159 H), or not fold an arm at all
(the capsule body's left arm hung straight, its wrist ~0.48 m from the truth): the exercise
recogniser, which reads the hands against the trunk, then abstained. Both bodies, the
standing frames before the first rep (the lifter's hands at the chest, tracking settled).

Measured (frames 15-80): mesh elbows ~46 mm, wrists ~64 mm (before, on main: 70 and 83 mm, and
the capsule body's left elbow at 164-180 deg: both tests fail there); the
capsule body's elbows folded (before: the left arm hung straight).
"""

import numpy as np
import pytest

from tests.helpers import segmented_scenario

from station.fit.tracker import Tracker
from station.model import JOINTS

_J = {n: i for i, n in enumerate(JOINTS)}


def _run(name: str, frames: range):
    take, segment = segmented_scenario(name)
    trk = Tracker()
    fitted, truth = [], []
    for i in frames:
        r = trk.update(segment(i).cloud)
        if r.tracked and i >= 15:     # the first frames size the person
            fitted.append(r.skeleton.points_cam_m[:len(JOINTS)].copy())
            truth.append(take.skeleton_cam_m[i][:len(JOINTS)])
    return np.array(fitted), np.array(truth), take


def _elbow_deg(P: np.ndarray, s: str) -> np.ndarray:
    """Angle at the elbow between the upper arm and the forearm (180 = straight), per frame."""
    u = P[:, _J[f"shoulder_{s}"]] - P[:, _J[f"elbow_{s}"]]
    f = P[:, _J[f"wrist_{s}"]] - P[:, _J[f"elbow_{s}"]]
    c = (u * f).sum(1) / np.linalg.norm(u, axis=1) / np.linalg.norm(f, axis=1)
    return np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))


def _up_cam(take) -> np.ndarray:
    """The floor's up direction in the camera frame."""
    return np.asarray(take.T_floor_cam)[2, :3]


@pytest.fixture(scope="module")
def mesh_clip():
    return _run("good_morning_hands_chest@mesh", range(0, 80))


@pytest.fixture(scope="module")
def capsule_clip():
    return _run("good_morning_hands_chest", range(0, 80))


def test_hands_at_chest_mesh_folded_where_they_are(mesh_clip):
    fitted, truth, _ = mesh_clip
    assert len(fitted) >= 55
    for s in ("l", "r"):
        # the truth's elbows are at 45 deg (flexed 135); folded, not hanging
        assert np.median(_elbow_deg(fitted, s)) < 70, s
    err = np.linalg.norm(fitted - truth, axis=2)
    elbows = err[:, [_J["elbow_l"], _J["elbow_r"]]].mean()
    wrists = err[:, [_J["wrist_l"], _J["wrist_r"]]].mean()
    print(f"mesh: elbows {elbows * 1000:.0f} mm, wrists {wrists * 1000:.0f} mm")
    assert elbows < 0.060, f"elbows {elbows * 1000:.0f} mm"
    assert wrists < 0.075, f"wrists {wrists * 1000:.0f} mm"


def test_hands_at_chest_capsule_folded(capsule_clip):
    """The recogniser's question: are the hands up (elbows folded) or hanging? Both elbows
    folded in (nearly) every frame. Where the capsule body's left arm is folded is not yet
    right: the fit holds it folded back beside the chest (elbow ~0.2 m from the truth, wrist
    ~0.15 m), its wrist just above the elbow; the forward fold has the lower data energy but a
    higher silhouette and free-space energy there (see the arms report)."""
    fitted, truth, _ = capsule_clip
    assert len(fitted) >= 55
    err = np.linalg.norm(fitted - truth, axis=2)
    for s in ("l", "r"):
        ang = _elbow_deg(fitted, s)
        assert np.mean(ang < 90) >= 0.9, (s, np.round(ang[::10]))
        assert err[:, _J[f"wrist_{s}"]].mean() < 0.25, (s, err[:, _J[f"wrist_{s}"]].mean())
