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
    return parser


def main(argv: list[str] | None = None) -> int:
    from station.config import ConfigError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ConfigError, UserError) as exc:
        print(f"station: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
