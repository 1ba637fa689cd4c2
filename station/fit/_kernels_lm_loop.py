"""numba kernels of the fit's Levenberg-Marquardt loop (station.fit.solver.fit_frame): one
evaluation in two passes, so a rejected trial pays only the first.

  pose_energy          the pose, the nearest capsules, every residual, the statistics and
                       the energy (what accepting or rejecting a trial needs)
  linearise_accepted   the rows from pose_energy's state: the normal equations, the
                       observations' normal matrix, the per-DOF terms
  evaluate             the two: one whole LM evaluation
  lm_iterations        the loop; linearise_accepted only for an accepted trial

The two passes are one evaluation split at the rows: pose_energy then linearise_accepted
gives evaluate's energy, statistics and normal equations to the bit, also after other
trials' first passes (tests/fit/test_kernels.py, which compares evaluate to its NumPy twin,
station.fit.reference's linearise and diagonal_terms). On the tracker's fits 35-45 % of the
trials are rejected (their energy above the best).
"""
from __future__ import annotations

import math

import numba as nb

from station.fit._kernels_energy import (
    assemble_normal_equations, contact_rows, data_energy, data_rows, dense_rows, diagonal_terms,
    grip_rows, model_to_data_energy, model_to_data_rows,
)
from station.fit._kernels_geometry import (
    capsule_pair_penetration, nearest_capsule, nearest_capsule_within_fit, ray_surface,
)
from station.fit._kernels_kinematics import forward_kinematics, points_to_world, vectors_to_world
from station.fit._kernels_lm import damped_step, dot3, implement_ends, numpy_sum


@nb.njit(cache=True, nogil=True)
def pose_energy(
        theta, seg_parent, seg_offset, dof_seg, dof_type, dof_axis, cap_seg, cap_a_local,
        cap_b_local, implement_kind, upper_arm_l, upper_arm_r, bar_half_length_m,
        bell_drop_m, dumbbell_half_length_m, lat_dir, lat_target, points, ca, cb, ra_x,
        rb_x, cap_seg_x, cap_seg2_x, data_gate_m, data_sigma_m, data_weight,
        data_ray_cos_min, use_model_to_data, seg_R, seg_t, dof_twist, seg_chain, sample_seg, sample_local,
        sample_normal_local, cam_pos, R_cam_floor, t_cam_floor, fx, fy, cx, cy, mask, depth,
        near_u, near_v, depth_margin_m, depth_edge_m, edge_tol_px, huber_m, w_silhouette,
        w_freespace,
        floor_unknown_m, n_cap, cap_ra, cap_rb, pairs, sole_seg, sole_local, pair_slack_m,
        slack_m, w_below, band_m, w_band, w_collision, ankle_seg, ankle_local,
        anchor_target, n_anchor, hand_l, hand_r, level_row, lat_row, bar_cap, bar_weight,
        seg_l, seg_r, cap_idx, dist, normal, ray_q, samp, samp_n, sole, cp1, cp2, cn, cdepth,
        ankle_w, seg1, x1, n1, seg2, x2, n2, res, rw, out_H, out_g, out_seg_count,
        out_data_stats, out_seg_stats, out_m2d_stats, out_A, out_b, theta_pred, use_pred,
        dof_lower, dof_upper, finite_lo, finite_hi, limit_w, prior_w, temporal_w, knee_hip,
        knee_margin_rad, knee_w, out_e_prior, out_e_knee, out_e_temporal, row_energy,
        out_A_obs, m2d_rec, pair_dofs, pair_w, pair_mu, nearest_state=None):
    """The first pass of an LM evaluation at theta: forward kinematics (seg_R, seg_t,
    dof_twist), the capsules and the implement's (ca, cb), the nearest capsules (cap_idx,
    dist, normal; nearest_state as evaluate's), each point's residual where its ray meets
    that capsule (ray_surface: dist, normal, ray_q; with data_ray_cos_min >= 1 the
    Euclidean one, and ray_q is neither written nor read), the data and model -> data statistics
    (out_seg_count, out_data_stats, out_seg_stats, out_m2d_stats; the model -> data rows
    recorded in m2d_rec (n_samp, 4), model_to_data_energy's), the dense rows' points and
    residuals (x1 ... rw, contact_rows, the level and lateral rows) and the per-DOF
    energies. Returns the energy, evaluate's to the bit. out_A, out_b are scratch here
    (linearise_accepted writes them)."""
    forward_kinematics(theta, seg_parent, seg_offset, dof_seg, dof_type, dof_axis, seg_R, seg_t,
                       dof_twist)
    points_to_world(seg_R, seg_t, cap_seg, cap_a_local, ca[:n_cap])
    points_to_world(seg_R, seg_t, cap_seg, cap_b_local, cb[:n_cap])
    implement_ends(ca, cb, seg_R, n_cap, implement_kind, hand_l, hand_r, upper_arm_l, upper_arm_r,
                   bar_half_length_m, bell_drop_m, dumbbell_half_length_m)
    if nearest_state is None:
        nearest_capsule(points, ca, cb, ra_x, rb_x, cap_idx, dist, normal)
    else:
        nearest_capsule_within_fit(points, ca, cb, ra_x, rb_x, cap_idx, dist, normal, nearest_state)
    if data_ray_cos_min < 1.0:   # off (the default): the Euclidean residuals stand as they are
        ray_surface(points, cam_pos, cap_idx, ca, cb, ra_x, rb_x, cap_seg_x, data_gate_m,
                    data_ray_cos_min, dist, normal, ray_q)
    out_seg_count[:] = 0.0
    out_data_stats[:] = 0.0
    out_seg_stats[:] = 0.0
    out_m2d_stats[:] = 0.0
    data_energy(cap_idx, dist, cap_seg_x, data_gate_m, data_sigma_m, data_weight, out_seg_count,
                out_data_stats)
    if use_model_to_data:
        points_to_world(seg_R, seg_t, sample_seg, sample_local, samp)
        vectors_to_world(seg_R, sample_seg, sample_normal_local, samp_n)
        model_to_data_energy(samp, samp_n, sample_seg, cam_pos, R_cam_floor, t_cam_floor, fx, fy,
                             cx, cy, mask, depth, near_u, near_v, depth_margin_m, depth_edge_m,
                             edge_tol_px, huber_m, w_silhouette, w_freespace, floor_unknown_m,
                             out_seg_stats, out_m2d_stats, m2d_rec)
    points_to_world(seg_R, seg_t, sole_seg, sole_local, sole)
    capsule_pair_penetration(ca[:n_cap], cb[:n_cap], cap_ra, cap_rb, pairs, cp1, cp2, cn, cdepth)
    if n_anchor:
        points_to_world(seg_R, seg_t, ankle_seg, ankle_local, ankle_w)
    contact_rows(sole, cp1, cp2, cn, cdepth, pair_slack_m, slack_m, w_below, band_m, w_band,
                 w_collision, ankle_w, anchor_target, n_anchor, x1, x2, n1, n2, res, rw)
    if level_row >= 0:
        for k in range(3):
            x1[level_row, k] = 0.5 * (ca[hand_l, k] + cb[hand_l, k])
            x2[level_row, k] = 0.5 * (ca[hand_r, k] + cb[hand_r, k])
        res[level_row] = x1[level_row, 2] - x2[level_row, 2]
    if lat_row >= 0:
        for k in range(3):
            x1[lat_row, k] = seg_t[0, k]
        res[lat_row] = dot3(seg_t[0, 0], seg_t[0, 1], seg_t[0, 2], lat_dir[0], lat_dir[1],
                            lat_dir[2]) - lat_target
    for q in range(res.shape[0]):
        row_energy[q] = rw[q] * res[q] * res[q]
    E = (out_data_stats[0] + out_m2d_stats[0]) + numpy_sum(row_energy)
    diagonal_terms(theta, theta_pred, use_pred, dof_lower, dof_upper, finite_lo, finite_hi,
                   limit_w, prior_w, temporal_w, knee_hip, knee_margin_rad, knee_w, out_A, out_b,
                   out_e_prior, out_e_knee, out_e_temporal, pair_dofs, pair_w, pair_mu)
    E += numpy_sum(out_e_prior)
    for p in range(out_e_knee.shape[0]):
        E += out_e_knee[p]
    if use_pred:
        E += numpy_sum(out_e_temporal)
    return E


@nb.njit(cache=True, nogil=True)
def linearise_accepted(
        theta, seg_parent, seg_offset, dof_seg, dof_type, dof_axis, cap_seg, cap_a_local,
        cap_b_local, implement_kind, upper_arm_l, upper_arm_r, bar_half_length_m,
        bell_drop_m, dumbbell_half_length_m, lat_dir, lat_target, points, ca, cb, ra_x,
        rb_x, cap_seg_x, cap_seg2_x, data_gate_m, data_sigma_m, data_weight,
        data_ray_cos_min, use_model_to_data, seg_R, seg_t, dof_twist, seg_chain, sample_seg, sample_local,
        sample_normal_local, cam_pos, R_cam_floor, t_cam_floor, fx, fy, cx, cy, mask, depth,
        near_u, near_v, depth_margin_m, depth_edge_m, edge_tol_px, huber_m, w_silhouette,
        w_freespace,
        floor_unknown_m, n_cap, cap_ra, cap_rb, pairs, sole_seg, sole_local, pair_slack_m,
        slack_m, w_below, band_m, w_band, w_collision, ankle_seg, ankle_local,
        anchor_target, n_anchor, hand_l, hand_r, level_row, lat_row, bar_cap, bar_weight,
        seg_l, seg_r, cap_idx, dist, normal, ray_q, samp, samp_n, sole, cp1, cp2, cn, cdepth,
        ankle_w, seg1, x1, n1, seg2, x2, n2, res, rw, out_H, out_g, out_seg_count,
        out_data_stats, out_seg_stats, out_m2d_stats, out_A, out_b, theta_pred, use_pred,
        dof_lower, dof_upper, finite_lo, finite_hi, limit_w, prior_w, temporal_w, knee_hip,
        knee_margin_rad, knee_w, out_e_prior, out_e_knee, out_e_temporal, row_energy,
        out_A_obs, m2d_rec, pair_dofs, pair_w, pair_mu, nearest_state=None):
    """The second pass at the theta pose_energy was last called with (its state: the pose,
    the nearest capsules, m2d_rec, the dense rows): the data and model -> data rows into
    out_H, out_g, mapped to the DOFs into out_A, out_b, the dense rows and the bar's grip
    rows, out_A_obs = out_A, then the per-DOF terms (diagonal_terms)
    into out_A, out_b. Every output zeroed or written here."""
    out_H[:] = 0.0
    out_g[:] = 0.0
    # the rows about each residual's surface point: the ray's hit (ray_q), or the point's own
    # foot on the nearest capsule when the ray residual is off (pose_energy left ray_q unset)
    data_rows(ray_q if data_ray_cos_min < 1.0 else points, cap_idx, dist, normal, cap_seg_x,
              cap_seg2_x, data_gate_m, data_sigma_m, data_weight, out_H, out_g)
    if use_model_to_data:
        model_to_data_rows(samp, sample_seg, R_cam_floor, m2d_rec, out_H, out_g)
    out_A[:] = 0.0
    out_b[:] = 0.0
    assemble_normal_equations(out_H, out_g, dof_twist, seg_chain, out_A, out_b)
    dense_rows(seg1, x1, n1, seg2, x2, n2, res, rw, dof_twist, seg_chain, out_A, out_b)
    if bar_cap >= 0:
        gl = 0.5 * (ca[hand_l] + cb[hand_l])
        gr = 0.5 * (ca[hand_r] + cb[hand_r])
        grip_rows(cap_idx, dist, normal, bar_cap, data_gate_m, data_sigma_m, bar_weight, gl, gr,
                  seg_l, seg_r, dof_twist, seg_chain, out_A, out_b)
    out_A_obs[:, :] = out_A
    diagonal_terms(theta, theta_pred, use_pred, dof_lower, dof_upper, finite_lo, finite_hi,
                   limit_w, prior_w, temporal_w, knee_hip, knee_margin_rad, knee_w, out_A, out_b,
                   out_e_prior, out_e_knee, out_e_temporal, pair_dofs, pair_w, pair_mu)


@nb.njit(cache=True, nogil=True)
def evaluate(theta, *ev):
    """One LM evaluation at theta, all of it: pose_energy(theta, *ev), then
    linearise_accepted(theta, *ev) (ev: their arguments after theta, the solver's `ev`
    tuple; nearest_state may be left out). That is the pose, the capsules and the
    implement's, the nearest capsules, the data and model -> data rows, the normal
    equations, the dense rows (floor, collisions, anchors, the level and lateral rows) and
    the bar's grip rows (the NumPy twin of these is station.fit.reference.linearise),
    out_A_obs = the observations' normal matrix (a copy of out_A before the per-DOF terms),
    the energy (data + model -> data + the dense rows' sum of rw res^2), then the per-DOF
    terms (diagonal_terms: limits, prior, knee fold, temporal with use_pred) into out_A,
    out_b and their energies. Returns the total energy, summed in the order and the way the
    solver's NumPy summed it (numpy_sum). nearest_state: a fit's nearest_capsule_state (the
    nearest capsules by nearest_capsule_within_fit: the same results, faster over a fit's
    evaluations); None: nearest_capsule. lm_iterations runs the two passes itself (the
    second only for an accepted trial); this one is what the tests compare to the twins."""
    E = pose_energy(theta, *ev)
    linearise_accepted(theta, *ev)
    return E


# lm_iterations' outcomes
LM_DONE, LM_SOLVE = 0, 1


@nb.njit(cache=True, nogil=True)
def lm_iterations(theta, it, n_iter, state, damping, neck, neck_mu, neck_w, step_lo, step_hi,
                  chol, delta, best_theta, best_A, best_b, best_info, best_data_stats,
                  best_seg_count, best_seg_stats, steps, out_A, out_b, out_A_obs,
                  out_data_stats, out_seg_count, out_seg_stats, ev):
    """The Levenberg-Marquardt loop of station.fit.solver.fit_frame from iteration `it` on:
    evaluate theta (evaluate(theta, *ev) in its two passes: pose_energy, and
    linearise_accepted only for an accepted trial; out_A ... out_seg_stats are ev's outputs
    of the same names), recentre the neck's prior on neck_mu (weight neck_w, DOF neck), accept
    (the best's theta, normal equations, observations' information and statistics copied
    into best_*; the damping relaxed to max(0.3 lam, damping) after the first) or reject
    (lam x 5); after iteration n_iter stop, else the damped step from the best (damped_step,
    its norm into steps[it]) gives the next theta (written into theta).

    state (4,) float64, read and written: lam, best energy, rejections, whether a pose was
    accepted yet. Returns (iteration reached, LM_DONE) at the end, or (it, LM_SOLVE) when
    the damped matrix of iteration it is not numerically positive definite: the caller
    solves it with LAPACK, sets theta = best_theta + step and calls again from it + 1.
    The NumPy twin is station.fit.reference.lm_iterations (the Python loop this replaced);
    the arithmetic is the same, so the fits are the same to the bit."""
    lam = state[0]
    best_E = state[1]
    n_reject = state[2]
    have = state[3] != 0.0
    n = theta.shape[0]
    status = LM_DONE
    while True:
        E = pose_energy(theta, *ev)
        if neck_mu != 0.0:   # the kernel's prior centres on 0: recentre the neck's
            E += neck_w * (neck_mu * neck_mu - 2.0 * theta[neck] * neck_mu)
        if E <= best_E:   # accept: relax the damping
            linearise_accepted(theta, *ev)
            if neck_mu != 0.0:
                out_b[neck] -= neck_w * neck_mu
            if have:
                relaxed = lam * 0.3
                lam = max(relaxed, damping)   # Python's max(relaxed, damping)
            have = True
            best_E = E
            best_theta[:] = theta
            best_A[:, :] = out_A
            best_b[:] = out_b
            best_info[:, :] = out_A_obs
            best_data_stats[:] = out_data_stats
            best_seg_count[:] = out_seg_count
            best_seg_stats[:, :] = out_seg_stats
        else:   # reject: back to the best pose, stiffer damping
            n_reject += 1.0
            lam *= 5.0
        if it == n_iter:
            break
        if not have:
            raise FloatingPointError("lm_iterations: the first pose's energy is not a number")
        # per-DOF clamp: one poorly determined DOF must not shrink everyone's step
        if not damped_step(best_A, best_b, lam, step_lo, step_hi, chol, delta):
            status = LM_SOLVE
            break
        ss = 0.0
        for j in range(n):
            theta[j] = best_theta[j] + delta[j]
            ss += delta[j] * delta[j]
        steps[it] = math.sqrt(ss)
        it += 1
    state[0] = lam
    state[1] = best_E
    state[2] = n_reject
    state[3] = 1.0 if have else 0.0
    return it, status
