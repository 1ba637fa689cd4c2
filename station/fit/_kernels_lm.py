"""numba kernel of one Levenberg-Marquardt linearisation of the fit (station.fit.solver):
everything between the posed capsules and the 32 x 32 normal equations in one call, so an
iteration pays one dispatch instead of a dozen, and no Python between the kernels.

House style as station.fit._kernels (pure functions on arrays, outputs preallocated). It
calls the very kernels the solver called one by one, in the same order, on the same arrays:
the result is bit-identical to that sequence. NumPy twin: station.fit.reference.linearise,
compared by tests/fit/test_kernels.py.
"""
from __future__ import annotations

import numba as nb

from station.fit._kernels_energy import (
    assemble_normal_equations, contact_rows, data_term, dense_rows, grip_rows, model_to_data_term,
)
from station.fit._kernels_geometry import capsule_pair_penetration, nearest_capsule
from station.fit._kernels_kinematics import points_to_world, vectors_to_world


@nb.njit(cache=True, nogil=True)
def linearise(points, ca, cb, ra_x, rb_x, cap_seg_x, cap_seg2_x, data_gate_m, data_sigma_m,
              data_weight, use_model_to_data, seg_R, seg_t, dof_twist, seg_chain,
              sample_seg, sample_local, sample_normal_local, cam_pos, R_cam_floor, t_cam_floor,
              fx, fy, cx, cy, mask, depth, near_u, near_v, depth_margin_m, edge_tol_px, huber_m,
              w_silhouette, w_freespace, floor_unknown_m,
              n_cap, cap_ra, cap_rb, pairs, sole_seg, sole_local, pair_slack_m, slack_m, w_below,
              band_m, w_band, w_collision, ankle_seg, ankle_local, anchor_target, n_anchor,
              hand_l, hand_r, level_row, lat_row, lat_res, bar_cap, bar_weight, seg_l, seg_r,
              cap_idx, dist, normal, samp, samp_n, sole, cp1, cp2, cn, cdepth, ankle_w,
              seg1, x1, n1, seg2, x2, n2, res, rw,
              out_H, out_g, out_seg_count, out_data_stats, out_seg_stats, out_m2d_stats,
              out_A, out_b):
    """One linearisation at the pose whose segment transforms (seg_R, seg_t, dof_twist) and
    capsule ends ca, cb (n_cap body capsules, then the implement's) are given.

    Data term on the nearest capsules (cap_idx, dist, normal are written), model -> data
    term (use_model_to_data; samp, samp_n written), both into out_H, out_g (zeroed here),
    mapped to the DOFs into out_A, out_b (zeroed here); then the dense rows: floor, capsule
    collisions, feet anchors (contact_rows), the hands' level row at level_row (>= 0: x1, x2
    the grips, residual their height difference; its seg, normals and weight preset), the
    pelvis's lateral row at lat_row (>= 0: x1 = seg_t[0], residual lat_res; seg, normal and
    weight preset); last, with bar_cap >= 0, the bar's points (that capsule) pulling the
    grips with bar_weight (grip_rows). out_seg_count, the stats arrays are zeroed and filled.
    """
    nearest_capsule(points, ca, cb, ra_x, rb_x, cap_idx, dist, normal)
    out_H[:] = 0.0
    out_g[:] = 0.0
    out_seg_count[:] = 0.0
    out_data_stats[:] = 0.0
    out_seg_stats[:] = 0.0
    out_m2d_stats[:] = 0.0
    data_term(points, cap_idx, dist, normal, cap_seg_x, cap_seg2_x, data_gate_m, data_sigma_m,
              data_weight, out_H, out_g, out_seg_count, out_data_stats)
    if use_model_to_data:
        points_to_world(seg_R, seg_t, sample_seg, sample_local, samp)
        vectors_to_world(seg_R, sample_seg, sample_normal_local, samp_n)
        model_to_data_term(samp, samp_n, sample_seg, cam_pos, R_cam_floor, t_cam_floor, fx, fy,
                           cx, cy, mask, depth, near_u, near_v, depth_margin_m, edge_tol_px,
                           huber_m, w_silhouette, w_freespace, floor_unknown_m, out_H, out_g,
                           out_seg_stats, out_m2d_stats)
    out_A[:] = 0.0
    out_b[:] = 0.0
    assemble_normal_equations(out_H, out_g, dof_twist, seg_chain, out_A, out_b)
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
        res[lat_row] = lat_res
    dense_rows(seg1, x1, n1, seg2, x2, n2, res, rw, dof_twist, seg_chain, out_A, out_b)
    if bar_cap >= 0:
        gl = 0.5 * (ca[hand_l] + cb[hand_l])
        gr = 0.5 * (ca[hand_r] + cb[hand_r])
        grip_rows(cap_idx, dist, normal, bar_cap, data_gate_m, data_sigma_m, bar_weight, gl, gr,
                  seg_l, seg_r, dof_twist, seg_chain, out_A, out_b)
