"""The `station` command: parses arguments, calls the app, prints errors plainly."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


class UserError(Exception):
    """An error the user can fix; printed without a traceback."""


def _cmd_config_check(args: argparse.Namespace) -> int:
    from station.config import check_config, station_config_path

    path = Path(args.file) if args.file else station_config_path(Path(args.config) if args.config else None)
    cfg = check_config(path)
    print(f"{path}: OK (station {cfg.station.id!r}, exercise {cfg.exercise.default!r})")
    return 0


def _cmd_config_show(args: argparse.Namespace) -> int:
    from station.config import effective_config_toml, load_station_config

    cfg = load_station_config(Path(args.config) if args.config else None)
    sys.stdout.write(effective_config_toml(cfg))
    return 0


def _cmd_cameras(args: argparse.Namespace) -> int:
    from station.sources.realsense import list_cameras

    cams = list_cameras()
    if not cams:
        print("no RealSense camera found (check the USB 3 cable and hardware/99-realsense-libusb.rules)")
        return 1
    for cam in cams:
        print("  ".join(str(x) for x in cam))
    return 0


def _cfg(args: argparse.Namespace):
    from station.config import load_station_config

    return load_station_config(Path(args.config) if args.config else None)


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from station.sim.scenarios import ENLARGED, SCENARIOS

    for sc in SCENARIOS + ENLARGED:
        a = sc.athlete
        print(f"{sc.name:30s} {sc.description}  [{sc.body} body, {a.height_m:.2f} m, build {a.build:.1f}, "
              f"{a.clothing}, {a.implement or 'no implement'}; camera {sc.mount_height_m:.1f} m; {sc.exercise}"
              f"{'; HOLDOUT' if sc.split == 'holdout' else ''}]")
    print("Any scenario on the other body: NAME@mesh or NAME@capsule.")
    return 0


def _cmd_record(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() != ".db3":
        raise UserError(f"{out}: recordings are written as rosbag2 .db3 files; use a name ending in .db3")
    if args.synthetic:
        from station.sources.synthetic import record_synthetic

        try:
            n, truth = record_synthetic(args.synthetic, out, seconds=args.seconds)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        print(f"wrote {n} frames to {out} and the ground truth to {truth}")
        return 0
    if args.seconds is None:
        raise UserError("recording from the camera needs --seconds N")
    cfg = _cfg(args)
    if not cfg.privacy.allow_explicit_recording:
        raise UserError("recording is disabled by privacy.allow_explicit_recording = false in the station config")
    if args.seconds > cfg.privacy.max_recording_s:
        raise UserError(f"--seconds {args.seconds} exceeds privacy.max_recording_s = {cfg.privacy.max_recording_s}")
    from station.sources.realsense import record_live

    cam = cfg.camera
    n = record_live(out, args.seconds, serial=cam.serial or None, width=cam.width_px, height=cam.height_px, fps=cam.fps)
    print(f"wrote {n} depth frames to {out} (depth only; delete it when you no longer need it)")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from station.app import analyze_recording
    from station.config import available_exercises

    if args.exercise not in available_exercises():
        raise UserError(f"unknown exercise {args.exercise!r}; available: {', '.join(available_exercises())}")
    rec = Path(args.recording)
    if not rec.exists():
        raise UserError(f"{rec}: no such recording")
    doc = analyze_recording(rec, args.out, exercise=args.exercise, cfg=_cfg(args))
    st = doc["station"]
    print(f"{rec.name}: {st['frames']} frames, tracked {st['tracked_frames']}, "
          f"{doc['rep_count']} reps -> {args.out}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from station.demo import run_demo

    return run_demo(args.scenario, headless=args.headless, snapshots=args.snapshots, seconds=args.seconds,
                    every=args.every, cfg=_cfg(args), fullscreen=args.fullscreen, debug_view=args.debug_view)


def _cmd_run(args: argparse.Namespace) -> int:
    from station.live import run_station

    return run_station(args.config, headless=args.headless, windowed=args.windowed, max_s=args.seconds)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="station", description="Mirror station: hip-hinge coaching from a depth camera.")
    parser.add_argument("--config", help="station config file (default: $STATION_CONFIG, /etc/station/station.toml, or the packaged default)")
    sub = parser.add_subparsers(dest="command", required=True)

    p_cfg = sub.add_parser("config", help="check or show the configuration")
    cfg_sub = p_cfg.add_subparsers(dest="config_command", required=True)
    p_check = cfg_sub.add_parser("check", help="validate a station config and the exercise profiles it uses")
    p_check.add_argument("file", nargs="?", help="config file (default: the packaged station.toml)")
    p_check.set_defaults(func=_cmd_config_check)
    p_show = cfg_sub.add_parser("show", help="print the effective configuration as TOML")
    p_show.set_defaults(func=_cmd_config_show)

    p_cams = sub.add_parser("cameras", help="list connected RealSense cameras")
    p_cams.set_defaults(func=_cmd_cameras)

    p_sc = sub.add_parser("scenarios", help="list the synthetic athlete's scenario library")
    p_sc.set_defaults(func=_cmd_scenarios)

    p_rec = sub.add_parser("record", help="record depth from the camera, or a synthetic scenario with its truth",
                           description="station record OUT.db3 --seconds N (camera) | "
                                       "station record --synthetic SCENARIO OUT.db3")
    p_rec.add_argument("out", help="output recording (.db3)")
    p_rec.add_argument("--seconds", type=float, help="how long to record (camera: required; synthetic: cut short)")
    p_rec.add_argument("--synthetic", metavar="SCENARIO", help="render this scenario instead of using the camera")
    p_rec.set_defaults(func=_cmd_record)

    p_an = sub.add_parser("analyze", help="run a recording through the station's pipeline and write the analysis JSON")
    p_an.add_argument("recording", help=".db3 or .bag recording with a depth stream")
    p_an.add_argument("--out", required=True, help="result JSON (docs/analysis-output.md)")
    p_an.add_argument("--exercise", default="rdl", help="exercise profile (default rdl)")
    p_an.set_defaults(func=_cmd_analyze)

    p_demo = sub.add_parser("demo", help="run the station on the built-in synthetic athlete (no camera)")
    p_demo.add_argument("--scenario", default="rdl_mixed_faults", help="scenario name (see `station scenarios`)")
    p_demo.add_argument("--headless", action="store_true", help="no window: write PNG snapshots instead")
    p_demo.add_argument("--snapshots", metavar="DIR", help="write PNG frames to DIR")
    p_demo.add_argument("--every", type=int, default=15, help="write every Nth frame as PNG (default 15)")
    p_demo.add_argument("--seconds", type=float, help="stop after this many seconds")
    p_demo.add_argument("--fullscreen", action="store_true", help="fill the display, as the mirror does")
    p_demo.add_argument("--debug-view", action="store_true",
                        help="show the depth image, segmentation and skeleton beside the lifter's screen")
    p_demo.set_defaults(func=_cmd_demo)

    p_run = sub.add_parser("run", help="run the live station on the configured camera (fullscreen)",
                           description="The mirror station: the configured RealSense camera, the fitter, "
                                       "the form evaluator and the overlay, fullscreen. A bad config file "
                                       "shows a staff notice (or, at start, the attention screen) instead "
                                       "of stopping.")
    p_run.add_argument("--windowed", action="store_true", help="open a window instead of fullscreen")
    p_run.add_argument("--headless", action="store_true", help="draw offscreen (testing)")
    p_run.add_argument("--seconds", type=float, help="stop after this many seconds")
    p_run.set_defaults(func=_cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from station.config import ConfigError
    from station.sources.realsense import SourceError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ConfigError, UserError, SourceError) as exc:
        print(f"station: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
