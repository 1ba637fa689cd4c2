"""The `station` command: parses arguments, calls the app, prints errors plainly."""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path


class UserError(Exception):
    """An error the user can fix; printed without a traceback."""


def positive_seconds(text: str) -> float:
    """argparse type: a finite number of seconds above zero."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return v


def positive_int(text: str) -> int:
    """argparse type: a whole number from 1 up."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text!r}")
    return v


def _cmd_config_check(args: argparse.Namespace) -> int:
    from station.config import check_config, station_config_path

    path = Path(args.file) if args.file else station_config_path(Path(args.config) if args.config else None)
    cfg = check_config(path)
    print(f"{path}: OK (station {cfg.station.id!r}, exercise {cfg.exercise.default!r})")
    warning = cfg.camera.depth_mode_warning()
    if warning:
        print(f"{path}: warning: {warning}", file=sys.stderr)
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


_FORCE_HINT = "add --force to replace it (the old file stays until the new one is complete)"


def _default_recording_path(args: argparse.Namespace) -> Path:
    """privacy.recordings_dir/<scenario or station id>-<local time>.db3 (the directory is made)."""
    from datetime import datetime

    cfg = _cfg(args)
    d = cfg.privacy.recordings_dir
    try:
        if not d.is_dir():
            os.stat(d)   # a symlink loop or a file in the way: its own reason, not "File exists"
    except FileNotFoundError:
        pass
    except OSError as e:
        raise UserError(f"privacy.recordings_dir = {d}: cannot use it ({e.strerror}); "
                        "give the output file instead") from None
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"privacy.recordings_dir = {d}: cannot create it ({e.strerror}); "
                        "give the output file instead") from None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return d / f"{args.synthetic or cfg.station.id}-{stamp}.db3"


def _cmd_record(args: argparse.Namespace) -> int:
    from station.fileio import check_output

    out = Path(args.out) if args.out else _default_recording_path(args)
    if out.is_dir():
        raise UserError(f"{out}: is a directory; give a file name such as {out / 'take.db3'}")
    if out.suffix.lower() != ".db3":
        raise UserError(f"{out}: recordings are written as rosbag2 .db3 files; use a name ending in .db3")
    check_output(out, overwrite=args.force, exists_hint=_FORCE_HINT)
    if args.synthetic:
        from station.sources.synthetic import record_synthetic, truth_path_for

        check_output(truth_path_for(out), overwrite=args.force, exists_hint=_FORCE_HINT)
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
        raise UserError(f"--seconds {args.seconds:g} exceeds privacy.max_recording_s = {cfg.privacy.max_recording_s:g}")
    from station.sources.recording import record_camera

    cam = cfg.camera
    frames = int(args.seconds * cam.fps) + 1
    check_output(out, overwrite=args.force, exists_hint=_FORCE_HINT,
                 need_bytes=int(frames * cam.width_px * cam.height_px * 2 * 1.02) + 1_000_000)
    n = record_camera(out, args.seconds, serial=cam.serial or None, width=cam.width_px,
                      height=cam.height_px, fps=cam.fps)
    print(f"wrote {n} depth frames to {out} (depth only; delete it when you no longer need it)")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from station.app import analyze_recording
    from station.config import load_exercise, profile_names, unknown_profile_message
    from station.fileio import check_output

    rec = Path(args.recording)
    if not rec.exists():
        raise UserError(f"{rec}: no such recording")
    out = Path(args.out)
    if out.suffix.lower() in (".db3", ".bag"):
        raise UserError(f"--out {out}: the analysis is JSON; refusing to write it to a recording's "
                        "name (use a name ending in .json)")
    check_output(out, inputs=[rec])
    cfg = _cfg(args)
    names = profile_names(cfg)
    if args.exercise is not None and args.exercise not in names:
        raise UserError(f"unknown exercise {args.exercise!r}: "
                        + unknown_profile_message(args.exercise, names, cfg.exercise.profiles_dir))
    for name in [args.exercise] if args.exercise is not None else sorted(set(cfg.exercise.available) | {cfg.exercise.default}):
        load_exercise(name, cfg.exercise.profiles_dir)   # a bad profile stops us before the work
    doc = analyze_recording(rec, out, exercise=args.exercise, cfg=cfg)
    st = doc["station"]
    print(f"{rec.name}: {st['frames']} frames, tracked {st['tracked_frames']}, "
          f"{doc['rep_count']} reps -> {out}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from station.demo import run_demo

    try:
        return run_demo(args.scenario, headless=args.headless, snapshots=args.snapshots, seconds=args.seconds,
                        every=args.every, cfg=_cfg(args), fullscreen=args.fullscreen, debug_view=args.debug_view,
                        exercise=args.exercise, audio=not args.silent, usage_log=args.usage_log)
    except ValueError as exc:   # an unknown scenario: one line, with the nearest name
        raise UserError(str(exc)) from None


def _cmd_summary(args: argparse.Namespace) -> int:
    from station.usage.nightly import SummaryError, run_summary

    dbs = [p for group in (args.db or []) for p in group]
    try:
        return run_summary(_cfg(args), day=args.date, dbs=dbs or None, out=args.out, nightly=args.nightly)
    except SummaryError as exc:
        raise UserError(str(exc)) from None


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from station.calibration import run_calibration
    from station.sources.realsense import LiveCamera

    cfg = _cfg(args)
    cam = cfg.camera
    headless = args.headless or args.png is not None
    if args.synthetic:
        from station.demo import demo_config
        from station.sources.synthetic import SceneImages

        try:
            images = SceneImages(args.synthetic, n=15, with_person=args.with_person)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        cfg = demo_config(cfg, images.scenario)
        for i in range(images.n):      # render first: the synthetic camera then streams at its rate
            images(i)
        with images.camera() as feed:
            camera = LiveCamera(feed.serial, images.intrinsics.width, images.intrinsics.height, images.fps,
                                devices=feed.devices, wait_for_camera=False)
            return run_calibration(cfg, camera, headless=headless, png=args.png, show_s=args.show_seconds,
                                   save=not args.dry_run)
    camera = LiveCamera(cam.serial or None, cam.width_px, cam.height_px, cam.fps, wait_for_camera=False,
                        frame_timeout_s=cam.frame_timeout_s, visual_preset=cam.visual_preset)
    return run_calibration(cfg, camera, headless=headless, png=args.png, show_s=args.show_seconds,
                           save=not args.dry_run)
def _cmd_audio_prepare(args: argparse.Namespace) -> int:
    from station.audio.speech import PhraseCache, default_cache_dir, station_phrases, synthesiser_available

    a = _cfg(args).audio
    cache = PhraseCache(Path(a.cache_dir) if a.cache_dir else default_cache_dir(), a.voice, a.rate_wpm)
    if not synthesiser_available():
        raise UserError("espeak-ng is not installed (sudo apt-get install espeak-ng; scripts/setup.sh does it)")
    made, problems = cache.ensure(station_phrases())
    if problems:
        raise UserError(problems[0])
    print(f"spoken cues: {made} phrases synthesised, {len(station_phrases())} in {cache.directory} "
          f"(voice {a.voice}, {a.rate_wpm} wpm)")
    return 0


def _cmd_warm_up(args: argparse.Namespace) -> int:
    from station.config import load_station_config
    from station.config.files import default_config_dir
    from station.warmup import warm_up

    # the packaged config unless one is named: the kernels do not depend on the station's
    # settings, and a staff file being edited must not make the warm-up fail
    cfg = load_station_config(Path(args.config) if args.config else default_config_dir() / "station.toml")
    print(warm_up(cfg=cfg, seconds=args.seconds).summary())
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from station.service import run_station

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
                           description="station record [OUT.db3] --seconds N (camera) | "
                                       "station record --synthetic SCENARIO [OUT.db3]. An existing "
                                       "recording is replaced only with --force.")
    p_rec.add_argument("out", nargs="?",
                       help="output recording (.db3; default: privacy.recordings_dir/<station id or "
                            "scenario>-<date>-<time>.db3)")
    p_rec.add_argument("--seconds", type=positive_seconds,
                       help="how long to record (camera: required; synthetic: cut short)")
    p_rec.add_argument("--synthetic", metavar="SCENARIO", help="render this scenario instead of using the camera")
    p_rec.add_argument("--force", action="store_true",
                       help="replace an existing recording (atomically, once the new one is complete)")
    p_rec.set_defaults(func=_cmd_record)

    p_an = sub.add_parser("analyze", help="run a recording through the station's pipeline and write the analysis JSON")
    p_an.add_argument("recording", help=".db3 or .bag recording with a depth stream")
    p_an.add_argument("--out", required=True, help="result JSON (docs/analysis-output.md)")
    p_an.add_argument("--exercise", default=None,
                      help="fix the exercise profile (default: recognised per set among the station's "
                           "exercise.available, starting from exercise.default)")
    p_an.set_defaults(func=_cmd_analyze)

    p_demo = sub.add_parser("demo", help="run the station on the built-in synthetic athlete (no camera)")
    p_demo.add_argument("--scenario", default="session_walk_in_out",
                        help="scenario name (see `station scenarios`; default: a whole visit)")
    p_demo.add_argument("--exercise", help="fix the exercise profile (default: the station's, recognised)")
    p_demo.add_argument("--silent", action="store_true", help="no spoken cues (default: as the config's [audio])")
    p_demo.add_argument("--headless", action="store_true", help="no window: write PNG snapshots instead")
    p_demo.add_argument("--snapshots", metavar="DIR",
                        help="write PNG frames and a contact sheet of the visit to DIR (the demo's "
                             "earlier frames there are removed first)")
    p_demo.add_argument("--every", type=positive_int, default=15, help="write every Nth frame as PNG (default 15)")
    p_demo.add_argument("--seconds", type=positive_seconds, help="stop after this many seconds")
    p_demo.add_argument("--fullscreen", action="store_true", help="fill the display, as the mirror does")
    p_demo.add_argument("--debug-view", action="store_true",
                        help="show the depth image, segmentation and skeleton beside the lifter's screen")
    p_demo.add_argument("--usage-log", metavar="PATH",
                        help="write the visit's usage events to this SQLite file (default: a throwaway "
                             "temporary file); then try `station summary --db PATH --date today`")
    p_demo.set_defaults(func=_cmd_demo)

    p_cal = sub.add_parser("calibrate", help="measure the floor, camera height and pitch and the empty scene",
                           description="Run with the lifting zone empty and the station service stopped "
                                       "(sudo systemctl stop station). Measures the floor, the camera's height "
                                       "and pitch and the empty scene, shows them on the mirror with the zone, "
                                       "and stores them in calibration.state_dir; refuses (exit 1) when no "
                                       "floor is seen or a person is in view.")
    p_cal.add_argument("--headless", action="store_true", help="do not open the display")
    p_cal.add_argument("--png", metavar="FILE", help="write the calibration screen to this PNG (implies --headless)")
    p_cal.add_argument("--show-seconds", type=positive_seconds, default=15.0,
                       help="how long the result stays on the mirror (default 15; a key ends it)")
    p_cal.add_argument("--dry-run", action="store_true", help="measure and show, but store nothing")
    p_cal.add_argument("--synthetic", metavar="SCENARIO",
                       help="calibrate on the synthetic camera in this scenario's room (no camera needed)")
    p_cal.add_argument("--with-person", action="store_true",
                       help="with --synthetic: the athlete stands in the zone (the calibration is refused)")
    p_cal.set_defaults(func=_cmd_calibrate)
    p_sum = sub.add_parser("summary", help="write the usage summary of a day (HTML, JSON, CSV) for one or more stations",
                           description="Summarise a day of use: this station's own usage log, or with --db the "
                                       "usage logs and nightly exports (usage-STATION-DATE.json) of several "
                                       "stations, merged into one report with a row per station and the total. "
                                       "Writes summary-DATE.html/.json/.csv into --out (default usage.summary_dir).")
    p_sum.add_argument("--date", help="the day: YYYY-MM-DD, \"today\" or \"yesterday\" (default: yesterday)")
    p_sum.add_argument("--db", action="append", nargs="+", metavar="PATH",
                       help="usage logs (.sqlite3), exports (usage-*.json) or directories holding them "
                            "(default: this station's usage.log_path)")
    p_sum.add_argument("--out", metavar="DIR", help="where to write the summary (default: usage.summary_dir)")
    p_sum.add_argument("--nightly", action="store_true",
                       help="the nightly job: also deliver it (usage.delivery), retry earlier failed deliveries "
                            "and enforce usage.retention_days")
    p_sum.set_defaults(func=_cmd_summary)
    p_audio = sub.add_parser("audio", help="spoken cues")
    audio_sub = p_audio.add_subparsers(dest="audio_command", required=True)
    p_prep = audio_sub.add_parser("prepare", help="synthesise every cue phrase (espeak-ng) into the WAV cache, "
                                                  "for the configured voice and rate")
    p_prep.set_defaults(func=_cmd_audio_prepare)

    p_warm = sub.add_parser("warm-up", help="compile the kernels into numba's cache now, not when the first "
                                            "lifter steps up (provision.sh runs it before starting a release)")
    p_warm.add_argument("--seconds", type=positive_seconds,
                        help="only the visit's first seconds (default: all of it, about 35 s of frames)")
    p_warm.set_defaults(func=_cmd_warm_up)

    p_run = sub.add_parser("run", help="run the live station on the configured camera (fullscreen)",
                           description="The mirror station: the configured RealSense camera, the fitter, "
                                       "the form evaluator and the overlay, fullscreen. A bad config file "
                                       "shows a staff notice (or, at start, the attention screen) instead "
                                       "of stopping.")
    p_run.add_argument("--windowed", action="store_true", help="open a window instead of fullscreen")
    p_run.add_argument("--headless", action="store_true", help="draw offscreen (testing)")
    p_run.add_argument("--seconds", type=positive_seconds, help="stop after this many seconds")
    p_run.set_defaults(func=_cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from station.config import ConfigError
    from station.fileio import FileWriteError, OutputError
    from station.sources.realsense import SourceError
    from station.usage.store import UsageLogError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ConfigError, UserError, SourceError, OutputError, UsageLogError) as exc:   # refused: nothing done
        print(f"station: error: {exc}", file=sys.stderr)
        return 2
    except FileWriteError as exc:   # the work was done but could not be saved
        print(f"station: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
