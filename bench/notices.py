"""What the lifter is told when the coach is unsure: per scenario, the share of tracked frames
with each notice on screen (station.form.texts.NOTICE_TEXTS_EN), and which coaching angle
groups were unsure while the fallback one ("cannot_see": stand in the zone, facing the mirror)
showed. The station runs as live (Pipeline with exercise recognition, as station.worker does).

A notice is advice: it should show when a place or stance of the lifter's would help the
station see (turned away, too close, off to one side), not at every bottom of a hinge, where a
camera in front cannot see the thighs and belly behind the bent trunk (ConfidenceGate.
notice_max_hip_deg).

    NUMBA_NUM_THREADS=1 python bench/notices.py --scenarios mesh_A_clean,mesh_B_clean,mesh_F_clean,rdl_turned_45
    NUMBA_NUM_THREADS=1 python bench/notices.py --scenarios rdl_clean,tall_heavy_loose --body capsule
"""
from __future__ import annotations

import argparse
import os
import sys
from collections import Counter

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fitter import zone_for  # noqa: E402

from station.app import Pipeline  # noqa: E402
from station.form.confidence_gate import COACHING_GROUPS, GROUPS  # noqa: E402
from station.model import DepthFrame  # noqa: E402
from station.sim.scenarios import build, get_scenario  # noqa: E402


def notice_shares(name: str, body: str) -> tuple[int, Counter, Counter]:
    """(tracked frames, notices shown {key: frames}, unsure groups while "cannot_see" showed)."""
    take = build(get_scenario(name).on_body(body))
    pipe = Pipeline(zone=zone_for(take), seed=take.scenario.seed, exercise="auto")
    tracked, shown, unsure_then = 0, Counter(), Counter()
    for i in range(take.n_frames):
        pipe.process(DepthFrame(take.render_u16(i).copy(), 0.001, take.intrinsics, float(take.times_s[i]), i))
        st = pipe.coach
        if st is None or pipe.tracker.state != "tracking":
            continue
        tracked += 1
        if st.notice:
            shown[st.notice] += 1
        if st.notice == "cannot_see":
            conf = pipe.evaluator.ev.confidence
            low = [k for k in COACHING_GROUPS if conf._view_conf[GROUPS.index(k)] < conf.gate.min_confidence]
            unsure_then[",".join(low) or "(held)"] += 1
    return tracked, shown, unsure_then


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenarios", default="mesh_A_clean,mesh_B_clean,mesh_F_clean,mesh_H_clean,rdl_turned_45")
    ap.add_argument("--body", default="mesh", choices=("mesh", "capsule"))
    args = ap.parse_args()
    print(f"{'scenario':28s} {'tracked':>7s}  notices on screen (share of tracked frames)")
    for name in args.scenarios.split(","):
        n, shown, unsure = notice_shares(name, args.body)
        shares = ", ".join(f"{k} {100 * v / max(n, 1):.1f}%" for k, v in shown.most_common()) or "none"
        line = f"{name + '@' + args.body:28s} {n:7d}  {shares}"
        if unsure:
            line += "  | unsure while 'cannot_see' showed: " + ", ".join(f"{k} {v}" for k, v in unsure.most_common())
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
