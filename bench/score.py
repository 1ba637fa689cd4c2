"""Score `station analyze` output against synthetic ground truth (station.scoring).

The same scorer as bench/fitter.py and bench/form.py, on the documents the product writes:
record a synthetic scenario through pyrealsense2 (`station record --synthetic`), play it back
through `station analyze`, and compare RESULT.json with OUT.truth.json.

    python bench/score.py RESULT.json TRUTH.json [RESULT2.json TRUTH2.json ...]
    NUMBA_NUM_THREADS=1 python bench/score.py --record rdl_rounded_back@mesh,mesh_A_clean --seconds 12
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from station.scoring import ANGLE_GROUPS, Tally, format_fault_table, score  # noqa: E402


def record_and_analyze(name: str, seconds: float | None, workdir: Path) -> tuple[dict, dict]:
    from station.app import analyze_recording
    from station.sources.synthetic import record_synthetic

    rec = workdir / f"{name.replace('@', '_')}.db3"
    _, truth_path = record_synthetic(name, rec, seconds=seconds, progress=False)
    result = analyze_recording(rec, workdir / (rec.stem + ".result.json"), progress=False)
    return json.loads(truth_path.read_text()), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", help="RESULT.json TRUTH.json pairs")
    ap.add_argument("--record", help="comma-separated scenarios to record, analyze and score")
    ap.add_argument("--seconds", type=float, help="cut each recording short")
    args = ap.parse_args()
    if len(args.files) % 2:
        ap.error("give RESULT.json TRUTH.json pairs")
    pairs: list[tuple[str, dict, dict]] = []
    for res, tru in zip(args.files[::2], args.files[1::2]):
        try:
            pairs.append((res, json.loads(Path(tru).read_text()), json.loads(Path(res).read_text())))
        except (OSError, json.JSONDecodeError) as e:
            print(f"error: cannot read {res} / {tru}: {e}", file=sys.stderr)
            return 1
    if args.record:
        with tempfile.TemporaryDirectory() as d:
            for name in args.record.split(","):
                t0 = time.perf_counter()
                truth, result = record_and_analyze(name, args.seconds, Path(d))
                print(f"  {name}: {len(result['frames'])} frames recorded and analyzed in "
                      f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
                pairs.append((name, truth, result))
    tallies = []
    cols = tuple(ANGLE_GROUPS)
    print(f"{'recording':34s} {'inview':>6s} {'track%':>7s} {'MPJPE':>7s} {'-const':>6s} " + " ".join(f"{c:>8s}" for c in cols)
          + "   reps")
    for name, truth, result in pairs:
        t = score(truth, result)
        tallies.append(t)
        body = truth.get("truth", {}).get("body", "?")
        print(f"{name[:30]:30s} [{body[0]}] {t.in_view:6d} {100 * t.tracked_rate:7.1f} {t.mpjpe_mm:7.1f} {t.mpjpe_offset_removed_mm:6.1f} "
              + " ".join(f"{t.angle_mae(c):8.1f}" for c in cols) + f"   {t.found_reps}/{t.true_reps}")
    if tallies:
        print(format_fault_table(Tally.sum(tallies), "\nfaults from `station analyze` (fitted angles), all reps:"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
