"""The mesh athlete: loading, skinning, rasterising (kernel == reference), truth, scenarios."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from station.frames import apply, invert
from station.model import Intrinsics
from station.sim import _mesh_kernels as mk
from station.sim import mesh_body as mb
from station.sim import mesh_shape as ms
from station.sim import mesh_reference as ref
from station.sim import motion as mo
from station.sim.pose import SIM_INDEX
from station.sim.render import LABEL_LIFTER
from station.sim.scenarios import Scenario, build, get_scenario

SMALL = Intrinsics(64, 48, 40.0, 40.0, 31.5, 23.5)


def test_asset_is_the_makehuman_body():
    a = ms.load_mesh_asset()
    body = a.vertices_m[:a.n_body]
    assert a.n_body == 13380 and len(a.triangles) == 2 * 13378
    # the README's extents: y −8.17 … 8.49 dm (≈1.67 m), x ±4.96 dm
    assert body[:, 2].max() - body[:, 2].min() == pytest.approx(1.6659, abs=1e-3)
    assert np.abs(body[:, 0]).max() == pytest.approx(0.4963, abs=1e-3)
    np.testing.assert_allclose(a.weight.sum(1), 1.0, atol=1e-5)
    assert (a.bone_parent[1:] < np.arange(1, len(a.bone_parent))).all()  # parents first


def test_rest_pose_reproduces_the_mesh():
    body = ms.shaped_mesh(ms.MeshShape())
    rig = mb.rest_rig(body)
    np.testing.assert_allclose(mb.skin(body, rig, 0), body.vertices_m, atol=1e-9)
    np.testing.assert_allclose(mb.skin_fast(body, rig, 0), body.vertices_m, atol=1e-9)
    assert body.skin_m[:, 2].min() == pytest.approx(0.0, abs=1e-9)
    assert body.skin_m[:, 2].max() == pytest.approx(1.75, abs=1e-9)


def test_rotated_bone_moves_only_its_weighted_vertices():
    body = ms.shaped_mesh(ms.MeshShape())
    a = body.asset
    rig = mb.rest_rig(body)
    b = a.bone("lowerarm01.L")
    R = rig.R_bone.copy()
    R[0, b] = mb.rot_exp(np.array([0.0, 0.0, 0.6]))
    moved_rig = replace(rig, R_bone=R)
    v = mb.skin_fast(body, moved_rig, 0)
    w = (a.weight * (a.weight_bone == b)).sum(1)
    d = np.linalg.norm(v - body.vertices_m, axis=1)
    assert (w > 0).sum() > 50
    assert np.all(d[w == 0] < 1e-12)
    assert np.all(d[w > 0.05] > 1e-4)


def test_target_weights_interpolate_min_average_max():
    w = ms.target_weights(ms.MeshShape(sex=1.0, muscle=0.75, weight=0.25))
    assert w["universal-male-young-maxmuscle-minweight"] == pytest.approx(0.25)
    assert w["universal-male-young-averagemuscle-minweight"] == pytest.approx(0.25)
    assert w["universal-male-young-maxmuscle-averageweight"] == pytest.approx(0.25)
    assert not any("female" in k for k in w)
    heavy = ms.shaped_mesh(ms.MeshShape(weight=1.0))
    slim = ms.shaped_mesh(ms.MeshShape(weight=0.0))
    def waist(m):  # (width, depth) of the trunk at navel height
        s = m.skin_m[(np.abs(m.skin_m[:, 2] - 1.05) < 0.02) & (np.abs(m.skin_m[:, 0]) < 0.2)]
        return np.ptp(s[:, 0]), np.ptp(s[:, 1])

    assert waist(heavy)[0] > waist(slim)[0] + 0.03 and waist(heavy)[1] > waist(slim)[1] + 0.015


def test_skin_kernel_equals_reference(rng):
    n, nb, k = 200, 7, 3
    rest = rng.normal(size=(n, 3))
    wb = rng.integers(0, nb, size=(n, k)).astype(np.int64)
    w = rng.random((n, k))
    w[:, 2] = 0.0
    w /= w.sum(1, keepdims=True)
    R = mb.rot_exp(rng.normal(size=(nb, 3)))
    t = rng.normal(size=(nb, 3))
    out = np.empty((n, 3))
    mk.skin_lbs(rest, wb, w, R, t, out)
    np.testing.assert_allclose(out, ref.skin_lbs(rest, wb, w, R, t), atol=1e-12)
    mk.skin_lbs(rest[:0], wb[:0], w[:0], R, t, out[:0])  # size 0


def _random_tris(rng, m):
    centres = rng.uniform([-0.6, -0.4, 1.0], [0.6, 0.4, 3.0], size=(m, 1, 3))
    verts = (centres + rng.normal(scale=0.15, size=(m, 3, 3))).reshape(-1, 3)
    return verts, np.arange(3 * m, dtype=np.int32).reshape(m, 3)


@pytest.mark.parametrize("m", [0, 1, 3, 40])
def test_rasteriser_kernel_equals_reference(rng, m):
    verts, tris = _random_tris(rng, m)
    if m > 2:
        verts[1] = verts[0]  # a degenerate (zero-area) triangle
        verts[5, 2] = 0.01   # a triangle reaching nearer than the near plane
    H, W = SMALL.height, SMALL.width
    depth0 = np.where(rng.random((H, W)) < 0.5, 0.0, rng.uniform(1.0, 3.0, (H, W))).astype(np.float32)
    idx0 = np.full((H, W), -1, np.int32)
    lab0 = np.zeros((H, W), np.uint8)
    d, i, lab = depth0.copy(), idx0.copy(), lab0.copy()
    args = (SMALL.fx, SMALL.fy, SMALL.ppx, SMALL.ppy, 0.05, np.uint8(1), 100)
    mk.rasterise_triangles(verts, tris, *args, d, i, lab)
    dr, ir, lr = ref.rasterise_triangles(verts, tris, *args, depth0, idx0, lab0)
    np.testing.assert_allclose(d, dr, rtol=1e-6)
    same_depth_elsewhere = np.abs(d - dr) < 1e-6
    assert (i == ir)[same_depth_elsewhere].mean() > 0.995  # ties between coplanar triangles aside
    assert (lab == lr).all()
    if m == 40:
        assert (i >= 100).sum() > 100


def test_a_flat_square_renders_at_its_depth():
    verts = np.array([[-0.5, -0.5, 2.0], [0.5, -0.5, 2.0], [0.5, 0.5, 2.0], [-0.5, 0.5, 2.0]])
    tris = np.array([[0, 1, 2], [0, 2, 3]], np.int32)
    d = np.zeros((48, 64), np.float32)
    i = np.full((48, 64), -1, np.int32)
    lab = np.zeros((48, 64), np.uint8)
    mk.rasterise_triangles(verts, tris, 40.0, 40.0, 31.5, 23.5, 0.05, np.uint8(1), 0, d, i, lab)
    # ±0.5 m at 2 m with f = 40 px is ±10 px around the centre: 20 x 20 pixel centres inside
    assert (d > 0).sum() == 20 * 20
    np.testing.assert_allclose(d[d > 0], 2.0, rtol=1e-6)


def _mesh_scenario(**kw) -> Scenario:
    base = dict(name="t_mesh", description="test", seed=901, motion="hinge_set",
                reps=(mo.HingeRepParams(),), body="mesh", scene="bare")
    base.update(kw)
    return Scenario(**base)


def _crossings(origin, direction, tri_verts):
    """How many triangles (m, 3, 3) the ray origin + s·direction (s > 0) crosses (Möller–Trumbore)."""
    a, b, c = tri_verts[:, 0], tri_verts[:, 1], tri_verts[:, 2]
    e1, e2 = b - a, c - a
    pv = np.cross(direction, e2)
    det = np.einsum("ij,ij->i", e1, pv)
    ok = np.abs(det) > 1e-12
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    tv = origin - a
    u = np.einsum("ij,ij->i", tv, pv) * inv
    qv = np.cross(tv, e1)
    v = (qv @ direction) * inv
    s = np.einsum("ij,ij->i", e2, qv) * inv
    return int((ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (s > 0)).sum())


def test_truth_joints_lie_inside_the_rendered_surface(rng):
    take = build(_mesh_scenario())
    rep = take.reps[0]
    T_cam_floor = invert(take.T_floor_cam)
    intr = take.intrinsics
    names = ("hip_l", "hip_r", "knee_l", "knee_r", "ankle_l", "shoulder_l", "shoulder_r", "elbow_r", "wrist_l",
             "head", "pelvis", "spine_mid")
    for t in (0.2, rep.bottom_t):
        i = int(np.argmin(np.abs(take.times_s - t)))
        r = take.render_ideal(i)
        skin_tris = take.mesh_vertices_floor_m(i)[take.mesh.triangles]
        for name in names:
            q = take.poses_floor_m[i, SIM_INDEX[name]]
            # inside the posed surface: odd crossings along (most of) a few random rays
            odd = [_crossings(q, d / np.linalg.norm(d), skin_tris) % 2 for d in rng.normal(size=(3, 3))]
            assert sum(odd) >= 2, (name, t, odd)
            if t < 1.0:  # standing: the joint projects onto the lifter, behind the visible surface
                p = apply(T_cam_floor, q)
                u = int(round(intr.fx * p[0] / p[2] + intr.ppx))
                v = int(round(intr.fy * p[1] / p[2] + intr.ppy))
                assert r.label[v, u] == LABEL_LIFTER, (name, t)
                assert r.depth_m[v, u] < p[2] < r.depth_m[v, u] + 0.3, (name, t)


def test_spine_truth_grows_with_the_scripted_rounding():
    peaks = []
    for rounding in (0.0, 10.0, 20.0, 30.0):
        take = build(_mesh_scenario(reps=(mo.HingeRepParams(spine_rounding_deg=rounding),)))
        peaks.append(take.reps[0].metrics["peak_spine_flexion"])
        assert ("rounded_back" in take.reps[0].faults) == (peaks[-1] > 20.0)
    assert np.all(np.diff(peaks) > 8.0)
    assert abs(peaks[0]) < 3.0 and peaks[-1] > 25.0


def test_a_rounded_back_humps_the_upper_back_and_drops_the_shoulders():
    flat = build(_mesh_scenario())
    rnd = build(_mesh_scenario(reps=(mo.HingeRepParams(spine_rounding_deg=30.0),)))
    i = int(np.argmin(np.abs(flat.times_s - flat.reps[0].bottom_t)))
    sh = SIM_INDEX["neck"]

    def neck_in_pelvis(take):  # (forward, up) of the neck in the pelvis (root) frame
        a = take.mesh.asset
        R = take.rig.R_bone[i, a.bone("root")]
        d = R.T @ (take.poses_floor_m[i, sh] - take.poses_floor_m[i, SIM_INDEX["pelvis"]])
        return -d[1], d[2]

    # relative to the pelvis, a rounder back brings the shoulders down and forward
    (f_flat, u_flat), (f_rnd, u_rnd) = neck_in_pelvis(flat), neck_in_pelvis(rnd)
    assert u_rnd < u_flat - 0.03 and f_rnd > f_flat + 0.1
    # the upper back (spine02/spine01 region) bulges above the line from pelvis to neck
    v_flat, v_rnd = flat.mesh_vertices_floor_m(i).copy(), rnd.mesh_vertices_floor_m(i).copy()
    assert v_rnd[:, 2].max() < v_flat[:, 2].max() + 0.05
    a = flat.mesh.asset
    upper = (a.weight * np.isin(a.weight_bone, [a.bone("spine02"), a.bone("spine01")])).sum(1) > 0.5

    def bulge(take, v):
        p, n = take.poses_floor_m[i, SIM_INDEX["pelvis"]], take.poses_floor_m[i, sh]
        d = (n - p) / np.linalg.norm(n - p)
        left = np.array([1.0, 0.0, 0.0])
        up_back = np.cross(d, left)  # perpendicular to the trunk line, towards the back/up
        return float(((v[upper] - p) @ up_back).max())

    assert bulge(rnd, v_rnd) > bulge(flat, v_flat) + 0.01


def test_scenarios_select_the_body_by_name():
    sc = get_scenario("rdl_clean@mesh")
    assert sc.body == "mesh" and sc.name == "rdl_clean@mesh"
    assert get_scenario("rdl_clean").body == "capsule"
    with pytest.raises(ValueError, match="unknown body"):
        get_scenario("rdl_clean@clay")
    take = build(replace(sc, reps=sc.reps[:1]))
    assert take.mesh is not None
    doc = take.truth_document("x.db3")
    assert doc["truth"]["body"] == "mesh"
    img = take.render_u16(10)
    assert (take.render_ideal(10).label == LABEL_LIFTER).sum() > 3000 and img.dtype == np.uint16


def test_enlarged_library_structure():
    from station.sim.scenarios import ENLARGED, ENLARGED_SHAPES, SCENARIOS, library

    names = [s.name for s in SCENARIOS + ENLARGED]
    assert len(set(names)) == len(names)
    assert len({s.seed for s in SCENARIOS + ENLARGED}) == len(names)
    assert all(s.body == "mesh" for s in ENLARGED)
    dev_shapes = {w.athlete for w in ENLARGED_SHAPES if w.split == "dev"}
    hold_shapes = {w.athlete for w in ENLARGED_SHAPES if w.split == "holdout"}
    assert dev_shapes and hold_shapes and not dev_shapes & hold_shapes
    hold = library("holdout")
    assert hold and all(s.split == "holdout" for s in hold)
    assert {s.mocap_clip for s in hold if s.motion == "mocap"} == {"13_29"}
    assert not {s.mocap_clip for s in library("dev", original=False) if s.motion == "mocap"} & {"13_29"}
    for w in ENLARGED_SHAPES:  # every shape has a clean set
        assert any(s.name == f"mesh_{w.key}_clean" for s in ENLARGED)
    assert {w.athlete.clothing for w in ENLARGED_SHAPES} == {"tight", "tshirt", "hoodie"}


@pytest.mark.slow
def test_enlarged_library_has_thirty_reps_per_fault_on_the_mesh():
    from collections import Counter

    from station.sim.scenarios import ENLARGED

    count, clean_shapes = Counter(), set()
    for sc in ENLARGED:
        take = build(sc)
        for r in take.reps:
            count.update(r.faults)
            if not r.faults:
                clean_shapes.add(sc.athlete)
            peak = r.metrics["peak_spine_flexion"]
            if 15.0 < peak < 20.0:
                count["borderline_clean_back"] += 1
            elif 20.0 < peak < 25.0:
                count["borderline_rounded_back"] += 1
    for label in ("rounded_back", "knee_dominant", "incomplete_lockout", "overextension", "hip_shift", "too_fast"):
        assert count[label] >= 30, (label, count)
    assert len(clean_shapes) >= 12
    assert count["borderline_clean_back"] >= 5 and count["borderline_rounded_back"] >= 5


def test_mirrored_mocap_swaps_sides():
    from station.sim.synthetic_take import _mirror

    take = build(get_scenario("mocap_toe_touch"))
    P = take.poses_floor_m[:5]
    sc = take.scenario
    M = _mirror(P, sc.lifter_x_m, sc.lifter_distance_m, 0.0)
    # the left hip of the mirror image is where the right hip was, reflected
    np.testing.assert_allclose(M[:, SIM_INDEX["hip_l"], 1:], P[:, SIM_INDEX["hip_r"], 1:])
    np.testing.assert_allclose(M[:, SIM_INDEX["hip_l"], 0], 2 * sc.lifter_x_m - P[:, SIM_INDEX["hip_r"], 0])
    from station.form.angles import contract_angles
    up = np.array([0.0, 0.0, 1.0])
    a, b = contract_angles(P[:, :17], up, 0.0), contract_angles(M[:, :17], up, 0.0)
    np.testing.assert_allclose(a["hip_flexion_l"], b["hip_flexion_r"], atol=1e-9)
    np.testing.assert_allclose(a["pelvis_lateral_shift"], -b["pelvis_lateral_shift"], atol=1e-9)


def test_soft_knees_stay_soft_at_the_top_of_each_rep():
    take = build(_mesh_scenario(soft_knee_deg=10.0, reps=(mo.HingeRepParams(), mo.HingeRepParams())))
    knee = 0.5 * (take.truth_angles["knee_flexion_l"] + take.truth_angles["knee_flexion_r"])
    i = int(np.argmin(np.abs(take.times_s - take.reps[0].end_t)))
    assert 8.0 < knee[0] < 12.0 and 8.0 < knee[i] < 12.0


def test_a_mesh_recording_plays_back_with_its_truth(tmp_path):
    import json

    from station.sources.recording import open_recording
    from station.sources.synthetic import record_synthetic

    out = tmp_path / "mesh.db3"
    n, truth_path = record_synthetic("rdl_clean@mesh", out, seconds=1.0, progress=False)
    doc = json.loads(truth_path.read_text())
    assert doc["truth"]["body"] == "mesh" and len(doc["frames"]) == n == 31
    with open_recording(out, real_time=False) as pb:
        frames = list(pb)
    assert len(frames) == n
    # the person is in the depth image where the truth says: the pelvis pixel has depth near it
    f = frames[10]
    p = doc["frames"][10]["joints"]["pelvis"]
    intr = f.intrinsics
    u, v = int(round(intr.fx * p[0] / p[2] + intr.ppx)), int(round(intr.fy * p[1] / p[2] + intr.ppy))
    z = f.depth_raw_u16[v - 2:v + 3, u - 2:u + 3].astype(float) * f.depth_units_m
    z = z[z > 0]
    assert z.size and 0.0 < p[2] - np.median(z) < 0.25


def test_deadlifts_from_the_floor_are_labelled_by_the_deadlift_profile_on_both_bodies():
    """A deadlift rep starts at the floor and ends back there, so the rdl rules read its
    lockout at the floor: the mesh body's reps were judged again by them and every clean pull
    read knee dominant, incomplete lockout and too fast (stop 52). Both bodies' truth is the
    deadlift profile's, and the benchmarks judge these takes with it (truth_profile)."""
    from station.sim.truth import rdl_truth_faults

    takes = {b: build(get_scenario(f"deadlift_floor@{b}")) for b in ("capsule", "mesh")}
    for body, take in takes.items():
        assert take.truth_profile == "deadlift"
        assert take.truth_document("x")["truth"]["fault_profile"] == "deadlift"
        assert [r.faults for r in take.reps] == [[]] * 4, body          # a clean set of four pulls
    # the rdl rules on the same reps are what the mesh body was labelled with before
    trace = {"t": takes["mesh"].times_s, **takes["mesh"].truth_angles}
    assert all("incomplete_lockout" in rdl_truth_faults(trace, r)[0] for r in takes["mesh"].reps)
    assert build(get_scenario("rdl_clean@mesh")).truth_profile == "rdl"


@pytest.mark.parametrize("shape", [ms.MeshShape(sex=0.0, weight=0.8, clothing="hoodie"),
                                   ms.MeshShape(sex=1.0, height_m=1.9, clothing="hoodie")])
def test_the_hoodies_hood_lies_on_the_upper_back(shape):
    """The hood is bunched cloth behind the neck and upper back, not a collar round the chest."""
    body = ms.shaped_mesh(shape)
    a = body.asset
    top = body.clothing_offset_m - ms.shaped_mesh(replace(shape, clothing="tshirt")).clothing_offset_m
    hood = body.clothing_offset_m > 0.045  # the top alone stands off ≤ 31 mm; the hood adds up to 40
    assert hood.sum() > 100 and top.max() > 0.03
    # the spine's line at the shoulders: the neck bone's head, in the rest pose (floor +y = back)
    spine_y = body.bone_head_m[a.bone("neck01"), 1]
    behind = body.skin_m[hood, 1] > spine_y
    assert behind.mean() > 0.95
    # and the hood is thick on the back: the points behind the spine line stand off most
    upper_back = (a.region_weight(("spine01",)) > 0.5) & (body.skin_m[:, 1] > spine_y + 0.03)
    assert np.median(body.clothing_offset_m[upper_back]) > 0.05
