"""Numba kernels of the segmenter's blob choice (station.segment.person): which components
are the lifter. Same house style as station.segment._kernels (``cache=True, nogil=True``,
arrays in, preallocated arrays out, every threshold an argument); NumPy twins of the same
name in station.segment.reference, compared by tests/segment/test_segment_kernels.py.

A frame has a few dozen components; the NumPy version of the merge ran ~40 small array
operations per pass over them (~0.15 ms a frame), this runs in a few microseconds.
"""
from __future__ import annotations

import numba as nb
import numpy as np

_JIT = {"cache": True, "nogil": True}

# The columns of a blob_stats row (station.segment._kernels.blob_stats writes them in this
# order); person.py and the NumPy twins read them from here.
COUNT, SUM_X, SUM_Y, MIN_X, MAX_X, MIN_Y, MAX_Y, MIN_H, MAX_H = range(9)


@nb.njit(**_JIT)
def merge_person(stats, gap_m, occludes, index, allowed, merge_gap_m, merge_floor_gap_m,
                 footprint_margin_m, floor_object_bottom_m, floor_object_top_m,
                 hidden_min_points, upper_body_min_top_m, rejoin, rejoin_gap_m, max_count,
                 foot_max_m, out_keep):
    """The components of the lifter (person.merge_person's rule): out_keep (n,) bool, the
    chosen blob `index` plus every `allowed` component joined to it, pass by pass.

    gap_m (n, n) float32; merge_gap_m, merge_floor_gap_m float32 (the NumPy rule compares
    the float32 gaps in float32). A low object on the floor (bottom <= floor_object_bottom_m,
    top < floor_object_top_m) joins within merge_floor_gap_m unless its footprint centroid
    lies inside the footprint (expanded by footprint_margin_m) of the joined components that
    are not floor objects (and the chosen one); any other within merge_gap_m. A floor object
    of hidden_min_points or more wholly below those components (its top under their lowest
    point) with its centroid inside their footprint joins whatever its gap; so does one that
    small (footprint at most foot_max_m across each way: a lower leg and its foot) with its
    centroid inside the footprint expanded by footprint_margin_m (a walker's stride puts the
    feet ahead of and behind the trunk).

    occludes (n, n) bool (_kernels.occlusion_pairs): occludes[i, j] when component i stands
    in front of j at j's outline. A component of at least hidden_min_points points that is
    not a floor object, whose footprint
    (bounding box) overlaps that footprint, and which hides part of a joined component and
    reaches upper_body_min_top_m (the upper body with a bell in front of the legs), or
    stands on the floor reaching floor_object_top_m or higher (a leg) and is partly hidden
    by a joined component or by a component that also hides a joined one, joins whatever
    its gap: the body between them is behind the occluder, not absent (the
    legs below a kettlebell swung between them; the torso and the bell in front of the legs
    when the legs were chosen).

    rejoin (n,) bool (merge_candidates' out_rejoin): standing-person shapes that were inside
    the last lifter's footprint. One joins, after the others of its pass, in index order,
    when it comes within rejoin_gap_m (float32) of a joined component (those of this pass
    included) and the joined points with its own stay within max_count: the lifter cut in
    two by a depth jump, not a second person beside them (two people are twice the points).
    """
    n = stats.shape[0]
    for i in range(n):
        out_keep[i] = False
    if index < 0:
        return
    out_keep[index] = True
    cx = np.empty(n)
    cy = np.empty(n)
    floor_obj = np.empty(n, np.bool_)
    new = np.empty(n, np.bool_)
    hides = np.empty(n, np.bool_)   # kept, or hiding part of a kept component
    for i in range(n):
        cnt = max(stats[i, COUNT], 1.0)
        cx[i] = stats[i, SUM_X] / cnt
        cy[i] = stats[i, SUM_Y] / cnt
        floor_obj[i] = (stats[i, MIN_H] <= floor_object_bottom_m
                        and stats[i, MAX_H] < floor_object_top_m)
    m = footprint_margin_m
    while True:
        x0, x1, y0, y1 = np.inf, -np.inf, np.inf, -np.inf
        bottom = np.inf
        for i in range(n):
            if out_keep[i] and (not floor_obj[i] or i == index):
                x0 = min(x0, stats[i, MIN_X])
                x1 = max(x1, stats[i, MAX_X])
                y0 = min(y0, stats[i, MIN_Y])
                y1 = max(y1, stats[i, MAX_Y])
                bottom = min(bottom, stats[i, MIN_H])
        bx0, bx1, by0, by1 = x0, x1, y0, y1
        x0, x1, y0, y1 = x0 - m, x1 + m, y0 - m, y1 + m
        for c in range(n):
            hides[c] = out_keep[c]
            if not hides[c]:
                for k in range(n):
                    if out_keep[k] and occludes[c, k]:
                        hides[c] = True
                        break
        any_new = False
        for j in range(n):
            new[j] = False
            if not allowed[j] or out_keep[j]:
                continue
            under = cx[j] >= x0 and cx[j] <= x1 and cy[j] >= y0 and cy[j] <= y1
            thr = merge_floor_gap_m if (floor_obj[j] and not under) else merge_gap_m
            # a floor object wholly below the joined body and under its footprint: the lower
            # legs of a body whose knees and thighs a nearer thing hides (a walker behind a
            # plate standing on the floor); the body between is hidden, not absent. Within the
            # margin only if foot-sized: the stride's feet, not a plate put down beside them
            foot = (stats[j, MAX_X] - stats[j, MIN_X] <= foot_max_m
                    and stats[j, MAX_Y] - stats[j, MIN_Y] <= foot_max_m)
            if (floor_obj[j] and stats[j, COUNT] >= hidden_min_points and stats[j, MAX_H] < bottom
                    and ((cx[j] >= bx0 and cx[j] <= bx1 and cy[j] >= by0 and cy[j] <= by1)
                         or (under and foot))):
                thr = np.float32(np.inf)
            hidden = (not floor_obj[j] and stats[j, COUNT] >= hidden_min_points
                      and stats[j, MIN_X] <= x1 and stats[j, MAX_X] >= x0
                      and stats[j, MIN_Y] <= y1 and stats[j, MAX_Y] >= y0)
            # behind something: only what stands on the floor and reaches above a plate (a
            # leg); a plate held at the far end of a bar, behind the lifter's legs, does not
            leg = stats[j, MIN_H] <= floor_object_bottom_m and stats[j, MAX_H] >= floor_object_top_m
            # in front of the lifter: only what reaches chest height (the upper body and the
            # bell it swings in front of the legs); a plate in front of the shins does not
            upper = stats[j, MAX_H] >= upper_body_min_top_m
            for i in range(n):
                if ((out_keep[i] and gap_m[i, j] <= thr)
                        or (hidden and ((leg and hides[i] and occludes[i, j])
                                        or (upper and out_keep[i] and occludes[j, i])))):
                    new[j] = True
                    any_new = True
                    break
        total = 0.0
        for j in range(n):
            if new[j]:
                out_keep[j] = True
            if out_keep[j]:
                total += stats[j, COUNT]
        for j in range(n):
            if not rejoin[j] or out_keep[j] or total + stats[j, COUNT] > max_count:
                continue
            for i in range(n):
                if out_keep[i] and gap_m[i, j] <= rejoin_gap_m:
                    out_keep[j] = True
                    any_new = True
                    total += stats[j, COUNT]
                    break
        if not any_new:
            return


@nb.njit(**_JIT)
def choose_person(stats, zone_box, centre_x_m, centre_y_m, min_points, min_top_m, y_weight,
                  has_previous, prev_x_m, prev_y_m, track_radius_m,
                  tracked_min_fraction, tracked_min_top_m, has_home, home_x_m, home_y_m,
                  home_radius_m, out_like):
    """The lifter's component (person.choose_person's rule): its index, or -1. out_like (n,)
    bool: the person-like components (big and tall enough; with a previous lifter and none of
    those near them, also the pieces near them: their legs under a torso hinged low).
    zone_box (x0, x1, y0, y1): the zone without margin. Near the previous lifter, the biggest
    such component (the body, not a leg the depth jumps cut off it, which a tie on the zone
    centre could pick: the body, a standing-person shape, would then never join it); else the
    one nearest the zone's centre. Of equal scores, the first. With a home (where the lifter
    has stood over the last seconds, Segmenter's slow average of the chosen footprint), a
    component near it (home_radius_m) ranks above one near the previous frame's choice
    only: a walker who merged into the lifter's component for a few frames drags that
    choice towards them, and at the split the walker is nearer it than the lifter is."""
    n = stats.shape[0]
    cx = np.empty(n)
    cy = np.empty(n)
    near = np.zeros(n, np.bool_)
    home = np.zeros(n, np.bool_)
    any_like_near = False
    any_like = False
    for i in range(n):
        cnt = max(stats[i, COUNT], 1.0)
        cx[i] = stats[i, SUM_X] / cnt
        cy[i] = stats[i, SUM_Y] / cnt
        out_like[i] = stats[i, COUNT] >= min_points and stats[i, MAX_H] >= min_top_m
        if has_previous:
            near[i] = np.hypot(cx[i] - prev_x_m, cy[i] - prev_y_m) <= track_radius_m
            any_like_near = any_like_near or (out_like[i] and near[i])
        if has_home:
            home[i] = np.hypot(cx[i] - home_x_m, cy[i] - home_y_m) <= home_radius_m
    if has_previous and not any_like_near:   # the lifter is there only in pieces
        for i in range(n):
            if (near[i] and stats[i, COUNT] >= tracked_min_fraction * min_points
                    and stats[i, MAX_H] >= tracked_min_top_m):
                out_like[i] = True
    for i in range(n):
        any_like = any_like or out_like[i]
    if not any_like:
        return -1
    # ranked by (near home and the previous lifter, near home, near the previous lifter,
    # neither; then, near either: most points, else: nearest the zone's centre), the first of
    # equals
    best = np.inf
    best_tier = -1
    k = -1
    for i in range(n):
        if not (out_like[i] and cx[i] >= zone_box[0] and cx[i] <= zone_box[1]
                and cy[i] >= zone_box[2] and cy[i] <= zone_box[3]):
            continue
        tier = (2 if home[i] else 0) + (1 if near[i] else 0)
        score = -stats[i, COUNT] if tier > 0 else abs(cx[i] - centre_x_m) + y_weight * abs(cy[i] - centre_y_m)
        if k < 0 or tier > best_tier or (tier == best_tier and score < best):
            best, best_tier, k = score, tier, i
    return k


@nb.njit(**_JIT)
def merge_candidates(stats, index, merge_reach_m, min_points, upright_min_top_m,
                     standing_max_bottom_m, prev_box, other_margin_m, out_allowed, out_rejoin):
    """The components that may join the chosen blob `index` (person.merge_candidates' rule):
    non-empty, footprint centroid within merge_reach_m of the chosen blob's, and not a
    standing person of their own (count >= min_points, top >= upright_min_top_m, bottom <=
    standing_max_bottom_m); the chosen blob itself always. out_allowed (n,) bool.
    out_rejoin (n,) bool: the standing-person shapes in reach whose footprint centroid lies
    inside prev_box (x0, x1, y0, y1: the last lifter's footprint; nan: none), which
    merge_person may still join as a part of the lifter cut off by a depth jump. Not
    allowed either: a component lower than another standing person (not the chosen blob, not
    to rejoin) whose footprint centroid lies inside theirs, expanded by other_margin_m."""
    n = stats.shape[0]
    ci = stats[index, SUM_X] / max(stats[index, COUNT], 1.0)
    cj = stats[index, SUM_Y] / max(stats[index, COUNT], 1.0)
    cx = np.empty(n)
    cy = np.empty(n)
    standing = np.empty(n, np.bool_)
    for i in range(n):
        cnt = max(stats[i, COUNT], 1.0)
        cx[i] = stats[i, SUM_X] / cnt
        cy[i] = stats[i, SUM_Y] / cnt
        reach = np.hypot(cx[i] - ci, cy[i] - cj) <= merge_reach_m
        standing[i] = (stats[i, COUNT] >= min_points and stats[i, MAX_H] >= upright_min_top_m
                       and stats[i, MIN_H] <= standing_max_bottom_m)
        out_allowed[i] = stats[i, COUNT] > 0 and reach and not standing[i]
        out_rejoin[i] = (stats[i, COUNT] > 0 and reach and standing[i] and i != index
                         and cx[i] >= prev_box[0] and cx[i] <= prev_box[1]
                         and cy[i] >= prev_box[2] and cy[i] <= prev_box[3])
    out_allowed[index] = True
    # what stands under someone else (a standing person not the lifter's and not a half of
    # them to rejoin) is theirs: a walker's legs, cut off their body by a depth jump, joined
    # the bent lifter through the 0.2 m gap and pulled the fit's feet onto them
    for s in range(n):
        if s == index or out_rejoin[s] or not standing[s]:
            continue
        for i in range(n):
            if i == index or not out_allowed[i] or stats[i, MAX_H] >= stats[s, MAX_H]:
                continue
            m = other_margin_m
            if (cx[i] >= stats[s, MIN_X] - m and cx[i] <= stats[s, MAX_X] + m
                    and cy[i] >= stats[s, MIN_Y] - m and cy[i] <= stats[s, MAX_Y] + m):
                out_allowed[i] = False


@nb.njit(**_JIT)
def hidden_candidates(stats, keep, allowed, floor_object_bottom_m, floor_object_top_m,
                      hidden_min_points, out_candidate):
    """person.hidden_candidates' rule: out_candidate (n,) bool = allowed, not kept, not a
    floor object, at least hidden_min_points points. Returns how many."""
    c = 0
    for i in range(stats.shape[0]):
        floor_obj = (stats[i, MIN_H] <= floor_object_bottom_m
                     and stats[i, MAX_H] < floor_object_top_m)
        ok = (allowed[i] and not keep[i] and not floor_obj
              and stats[i, COUNT] >= hidden_min_points)
        out_candidate[i] = ok
        c += np.int64(ok)
    return c
