"""The neck's rest, learned while the person stands tall (body_model.NeckRest), and the neck's
prior centred there by the solver (the neck carries the head on the thorax)."""
import numpy as np

from station.fit.body_model import (
    DEG,
    DOF,
    DOF_PRIOR_SIGMA,
    NeckRest,
    build_body,
    neutral_pose,
    with_shape,
)
from station.fit.solver import FitWeights, fit_frame, prepare_frame
from tests.fit.poses import make_pose
from tests.fit.selfrender import render_cloud


def _standing(neck_deg: float) -> np.ndarray:
    th = neutral_pose()
    th[DOF["neck_flex"]] = neck_deg * DEG
    return th


def test_learns_the_median_of_standing_frames_only():
    nr = NeckRest(frames=5)
    bent = make_pose("hinge")
    bent[DOF["neck_flex"]] = 40 * DEG
    for neck in (16, 18, 30, 17, 19):
        nr.observe(bent, 0.95)                 # bent over: not standing tall
        nr.observe(_standing(-20), 0.3)        # a poor fit: not learned from
        assert not nr.learned and nr.rad == 0.0
        nr.observe(_standing(neck), 0.95)
    assert nr.learned
    assert abs(nr.rad - 18 * DEG) < 1e-9       # the median: one odd frame does not move it
    nr.observe(_standing(5), 0.95)             # learned: frozen
    assert abs(nr.rad - 18 * DEG) < 1e-9


def test_a_frame_counts_once_with_its_last_fit():
    nr = NeckRest(frames=3)
    for k in range(3):
        nr.observe(_standing(40), 0.95, frame_key=k)    # a first start on frame k
        nr.observe(_standing(10), 0.95, frame_key=k)    # its final fit
    assert len(nr.samples) == 2 and not nr.learned      # frame 2's waits for the next frame
    nr.observe(_standing(10), 0.95, frame_key=3)
    assert nr.learned and abs(nr.rad - 10 * DEG) < 1e-9


def test_resizing_the_person_keeps_what_was_learned():
    body = build_body()
    body.neck_rest.samples = [0.3] * body.neck_rest.frames
    assert with_shape(body, height_m=1.9).neck_rest.rad == 0.3


def test_the_neck_prior_centres_on_the_learned_rest():
    """Energy with a learned rest mu = energy with rest 0 + w ((theta - mu)^2 - theta^2), and the
    fit's neck moves towards mu (the rest is the neck's own, the data are the same)."""
    body = build_body()
    th = make_pose("hinge")
    frame = prepare_frame(render_cloud(body, th, seed=1))
    w = FitWeights()
    loose = build_body()
    loose.neck_rest.samples = [0.0] * loose.neck_rest.frames       # learned, at 0
    mu = 15 * DEG
    rest = build_body()
    rest.neck_rest.samples = [mu] * rest.neck_rest.frames
    e0 = fit_frame(loose, frame, th, n_iter=0).energy
    e1 = fit_frame(rest, frame, th, n_iter=0).energy
    pw = w.prior / DOF_PRIOR_SIGMA[DOF["neck_flex"]] ** 2
    x = th[DOF["neck_flex"]]
    assert abs((e1 - e0) - pw * ((x - mu) ** 2 - x ** 2)) < 1e-6 * max(1.0, abs(e0))
    f0 = fit_frame(loose, frame, th, n_iter=4).theta[DOF["neck_flex"]]
    f1 = fit_frame(rest, frame, th, n_iter=4).theta[DOF["neck_flex"]]
    assert f1 > f0 + 0.5 * DEG
