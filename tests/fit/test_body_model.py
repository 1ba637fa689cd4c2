"""The body's surface samples (the model->data term's points) against a point-by-point loop."""
import numpy as np
import pytest

from station.fit.body_model import DEG, Shape, build_body


def _loop_samples(body, n_around=10, spacing_m=0.05):
    """The straightforward loop the vectorised build replaced (its reference)."""
    def basis(d):
        n = np.linalg.norm(d)
        d = d / n if n > 1e-12 else np.array([0.0, 0.0, 1.0])
        helper = np.array([1.0, 0.0, 0.0]) if abs(d[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        e1 = np.cross(d, helper)
        e1 /= np.linalg.norm(e1)
        return e1, np.cross(d, e1)

    segs, locs, norms, capi = [], [], [], []
    for c in range(len(body.cap_seg)):
        a, b = body.cap_a_local[c], body.cap_b_local[c]
        ra, rb = body.cap_ra[c], body.cap_rb[c]
        d = b - a
        length = float(np.linalg.norm(d))
        if length < 1e-9:
            axis = np.array([0.0, 0.0, 1.0])
            e1, e2 = basis(axis)
            for el in np.linspace(-60, 60, 5) * DEG:
                for k in range(n_around):
                    phi = 2 * np.pi * k / n_around
                    n = np.cos(el) * (np.cos(phi) * e1 + np.sin(phi) * e2) + np.sin(el) * axis
                    segs.append(body.cap_seg[c]); locs.append(a + ra * n); norms.append(n); capi.append(c)
            continue
        e1, e2 = basis(d)
        for t in np.linspace(0.0, 1.0, max(2, int(np.ceil(length / spacing_m)) + 1)):
            r = ra + t * (rb - ra)
            for k in range(n_around):
                phi = 2 * np.pi * k / n_around
                n = np.cos(phi) * e1 + np.sin(phi) * e2
                segs.append(body.cap_seg[c]); locs.append(a + t * d + r * n); norms.append(n); capi.append(c)
    return np.array(segs), np.array(locs), np.array(norms), np.array(capi)


@pytest.mark.parametrize("shape", [Shape(), Shape(height_m=1.92), Shape(height_m=1.55)])
def test_surface_samples_equal_the_loop_and_lie_on_their_capsules(shape):
    body = build_body(shape)
    seg, loc, nrm, cap = _loop_samples(body)
    np.testing.assert_array_equal(body.sample_seg, seg)
    np.testing.assert_allclose(body.sample_local, loc, rtol=0, atol=1e-12)
    np.testing.assert_allclose(body.sample_normal_local, nrm, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(body.sample_cap, cap)
    # and on the surface: the point minus its radius along the normal is on the capsule's axis
    a, b = body.cap_a_local[body.sample_cap], body.cap_b_local[body.sample_cap]
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", loc - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-18), 0, 1)
    r = body.cap_ra[body.sample_cap] + t * (body.cap_rb[body.sample_cap] - body.cap_ra[body.sample_cap])
    np.testing.assert_allclose(np.linalg.norm(body.sample_normal_local, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(loc - r[:, None] * nrm, a + t[:, None] * ab, atol=1e-9)
