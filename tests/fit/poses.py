"""Named poses of the fitter's own body model for self-consistency tests."""
import numpy as np

from station.fit.body_model import DEG, DOF, Shape, build_body, neutral_pose


def make_pose(name: str, shape: Shape = Shape()) -> np.ndarray:
    th = neutral_pose(shape, x_m=0.05, y_m=2.6)
    if name == "standing":
        pass
    elif name == "turned30":
        th[DOF["root_yaw"]] += 30 * DEG
    elif name in ("hinge", "hinge_deep"):
        k = 1.0 if name == "hinge" else 1.4
        th[DOF["root_pitch"]] = 45 * DEG * k
        th[DOF["hip_l_flex"]] = th[DOF["hip_r_flex"]] = 50 * DEG * k
        th[DOF["knee_l_flex"]] = th[DOF["knee_r_flex"]] = 12 * DEG
        th[DOF["ankle_l_flex"]] = th[DOF["ankle_r_flex"]] = 5 * DEG
        th[DOF["lumbar_flex"]] = 8 * DEG
        th[DOF["shoulder_l_flex"]] = th[DOF["shoulder_r_flex"]] = 55 * DEG * k
    elif name == "squat":
        th[DOF["root_pitch"]] = 30 * DEG
        th[DOF["hip_l_flex"]] = th[DOF["hip_r_flex"]] = 95 * DEG
        th[DOF["knee_l_flex"]] = th[DOF["knee_r_flex"]] = 95 * DEG
        th[DOF["ankle_l_flex"]] = th[DOF["ankle_r_flex"]] = 30 * DEG
        th[DOF["shoulder_l_flex"]] = th[DOF["shoulder_r_flex"]] = 80 * DEG
        th[DOF["root_tz"]] -= 0.0
    else:
        raise KeyError(name)
    return drop_to_floor(th, shape)


def drop_to_floor(th: np.ndarray, shape: Shape) -> np.ndarray:
    """Lower/raise the root so the lowest sole point touches the floor."""
    from station.fit.solver import Workspace, posed_capsules
    from station.fit import _kernels as K
    body = build_body(shape)
    ws = Workspace()
    posed_capsules(body, th, ws)
    sole = np.empty((len(body.sole_seg), 3))
    K.points_to_world(ws.seg_R, ws.seg_t, body.sole_seg, body.sole_local, sole)
    th = th.copy()
    th[DOF["root_tz"]] -= sole[:, 2].min()
    return th
