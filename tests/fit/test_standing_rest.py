"""The person's rests, learned while they stand tall (body_model.StandingRest): the neck's,
where the solver centres the neck's prior (the neck carries the head on the thorax), and the
lumbar's bend against the thorax's, where it centres the lumbar-thorax pair (off until then)."""
import numpy as np

from station.fit.body_model import (
    DEG,
    DOF,
    DOF_PAIR_AT_REST,
    DOF_PAIR_SIGMA,
    DOF_PAIRS,
    DOF_PRIOR_SIGMA,
    StandingRest,
    build_body,
    neutral_pose,
    with_shape,
)
from station.fit.solver import FitWeights, fit_frame, prepare_frame
from tests.fit.poses import make_pose
from tests.fit.selfrender import render_cloud


def _standing(neck_deg: float, lumbar_deg: float = 0.0, thorax_deg: float = 0.0) -> np.ndarray:
    th = neutral_pose()
    th[DOF["neck_flex"]] = neck_deg * DEG
    th[DOF["lumbar_flex"]] = lumbar_deg * DEG
    th[DOF["thorax_flex"]] = thorax_deg * DEG
    return th


def test_learns_the_median_of_standing_frames_only():
    nr = StandingRest(frames=5)
    bent = make_pose("hinge")
    bent[DOF["neck_flex"]] = 40 * DEG
    for neck, lumbar in ((16, 4), (18, 6), (30, 30), (17, 5), (19, 7)):
        nr.observe(bent, 0.95)                 # bent over: not standing tall
        nr.observe(_standing(-20, 20), 0.3)    # a poor fit: not learned from
        assert not nr.learned and nr.neck_rad == 0.0 and nr.lumbar_rad == 0.0
        nr.observe(_standing(neck, lumbar, thorax_deg=-3), 0.95)
    assert nr.learned
    assert abs(nr.neck_rad - 18 * DEG) < 1e-9       # the median: one odd frame does not move it
    assert abs(nr.lumbar_rad - 9 * DEG) < 1e-9      # the lumbar's bend past the thorax's
    nr.observe(_standing(5, 0), 0.95)               # learned: frozen
    assert abs(nr.neck_rad - 18 * DEG) < 1e-9 and abs(nr.lumbar_rad - 9 * DEG) < 1e-9


def test_a_frame_counts_once_with_its_last_fit():
    nr = StandingRest(frames=3)
    for k in range(3):
        nr.observe(_standing(40), 0.95, frame_key=k)    # a first start on frame k
        nr.observe(_standing(10), 0.95, frame_key=k)    # its final fit
    assert len(nr.samples) == 2 and not nr.learned      # frame 2's waits for the next frame
    nr.observe(_standing(10), 0.95, frame_key=3)
    assert nr.learned and abs(nr.neck_rad - 10 * DEG) < 1e-9


def test_resizing_the_person_keeps_what_was_learned():
    body = build_body()
    body.standing_rest.samples = [(0.3, 0.1)] * body.standing_rest.frames
    resized = with_shape(body, height_m=1.9).standing_rest
    assert resized.neck_rad == 0.3 and resized.lumbar_rad == 0.1


def test_the_neck_prior_centres_on_the_learned_rest():
    """Energy with a learned rest mu = energy with rest 0 + w ((theta - mu)^2 - theta^2), and the
    fit's neck moves towards mu (the rest is the neck's own, the data are the same)."""
    body = build_body()
    th = make_pose("hinge")
    frame = prepare_frame(render_cloud(body, th, seed=1))
    w = FitWeights()
    loose = build_body()
    loose.standing_rest.samples = [(0.0, 0.0)] * loose.standing_rest.frames       # learned, at 0
    mu = 15 * DEG
    rest = build_body()
    rest.standing_rest.samples = [(mu, 0.0)] * rest.standing_rest.frames
    e0 = fit_frame(loose, frame, th, n_iter=0).energy
    e1 = fit_frame(rest, frame, th, n_iter=0).energy
    pw = w.prior / DOF_PRIOR_SIGMA[DOF["neck_flex"]] ** 2
    x = th[DOF["neck_flex"]]
    assert abs((e1 - e0) - pw * ((x - mu) ** 2 - x ** 2)) < 1e-6 * max(1.0, abs(e0))
    f0 = fit_frame(loose, frame, th, n_iter=4).theta[DOF["neck_flex"]]
    f1 = fit_frame(rest, frame, th, n_iter=4).theta[DOF["neck_flex"]]
    assert f1 > f0 + 0.5 * DEG


def test_the_lumbar_pair_centres_on_the_learned_rest_and_is_off_until_then():
    """The lumbar-thorax pair: energy w (l - t - mu)^2 once learned, none before; the fit's
    lumbar moves towards the rest (the data the same)."""
    (p,) = np.nonzero(DOF_PAIR_AT_REST)[0]
    assert tuple(DOF_PAIRS[p]) == (DOF["lumbar_flex"], DOF["thorax_flex"])
    body = build_body()
    th = make_pose("hinge")
    th[DOF["lumbar_flex"]], th[DOF["thorax_flex"]] = 6 * DEG, 14 * DEG
    frame = prepare_frame(render_cloud(body, th, seed=1))
    w = FitWeights()
    neck = 0.2
    learning = build_body()                                  # not learned: the pair off
    learning.standing_rest.samples = [(neck, 0.0)] * (learning.standing_rest.frames - 1)
    at0, mu = build_body(), 12 * DEG
    at0.standing_rest.samples = [(neck, 0.0)] * at0.standing_rest.frames
    rest = build_body()
    rest.standing_rest.samples = [(neck, mu)] * rest.standing_rest.frames
    e0 = fit_frame(at0, frame, th, n_iter=0).energy
    e1 = fit_frame(rest, frame, th, n_iter=0).energy
    pw = w.prior / DOF_PAIR_SIGMA[p] ** 2
    x = th[DOF["lumbar_flex"]] - th[DOF["thorax_flex"]]
    assert abs((e1 - e0) - pw * ((x - mu) ** 2 - x ** 2)) < 1e-6 * max(1.0, abs(e0))
    # learning: the neck's prior loose (centred on 0) and no pair, against learned at mu 0
    nw_learned = w.prior / DOF_PRIOR_SIGMA[DOF["neck_flex"]] ** 2
    nw_loose = w.prior / StandingRest.LEARNING_SIGMA_RAD ** 2
    y = th[DOF["neck_flex"]]
    e_learning = fit_frame(learning, frame, th, n_iter=0, observe_rest=False).energy
    want = e0 - pw * x ** 2 - nw_learned * (y - neck) ** 2 + nw_loose * y ** 2
    assert abs(e_learning - want) < 1e-6 * max(1.0, abs(e0))
    f0 = fit_frame(at0, frame, th, n_iter=4).theta
    f1 = fit_frame(rest, frame, th, n_iter=4).theta
    bend = lambda t: t[DOF["lumbar_flex"]] - t[DOF["thorax_flex"]]   # noqa: E731
    assert bend(f1) > bend(f0) + 0.5 * DEG
