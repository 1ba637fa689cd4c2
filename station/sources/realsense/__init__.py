"""Everything that touches the RealSense SDK (the only importer of pyrealsense2 in the product).

Three ways a depth image reaches the station, all through the SDK so that a test runs the
code path the mirror runs (one module each; this package re-exports their public names):

- :class:`LiveCamera` (``live_camera``): a D4xx camera's depth sensor, reopened with a capped back-off (and
  a ``hardware_reset()`` when it stays silent) when frames stop (unplugged cable, USB
  reset, a frozen camera); its :attr:`LiveCamera.status` is for display.
- :class:`PlaybackDevice` (``playback``): a recording (``.db3`` rosbag2, or a legacy ``.bag``) played back
  through ``rs.context.load_device``; :mod:`station.sources.recording` builds iteration,
  back-pressure and pacing on it.
- :class:`SoftwareDepthCamera` (``software``): an ``rs.software_device`` that presents itself like a D435's
  depth sensor; images pushed into it come back out as SDK frames, and can be recorded with
  ``rs.recorder`` while they pass.

Around them: ``devices`` (which cameras are connected), ``record`` (a live camera to a
``.db3``), ``sdk`` (conversions, options, errors) and ``sdk_report`` (the SDK's own usage
statistics file, kept off the station's disks; imported first). Every frame leaves as
:class:`station.model.DepthFrame` with its pixels copied out of the SDK frame, which is
released at once (the SDK's frame pools are small and a held frame stalls its producer).

Findings about this SDK (pyrealsense2 2.59):
- ``rs.recorder`` and ``rs.config.enable_record_to_file`` write rosbag2 ``.db3`` only; a
  ``.bag`` path is refused ("Output file must have .db3 extension"). Legacy ``.bag`` files
  are still *read* (chosen by extension, with a deprecation warning on stderr), and
  ``rs.context.convert_bag_to_db3`` converts them.
- Depth units are stored as float32, so 0.001 comes back as 0.0010000000474974513; values
  are reported rounded to float32's 7 significant digits.
- A recording's duration (``playback.get_duration``) is measured on the clock of the
  machine that wrote it (arrival times), not on the frames' timestamps.
"""
# first: the SDK's own usage report is kept off the disk before anything here opens a context
from station.sources.realsense import sdk_report  # noqa: F401  isort: skip
from station.sources.realsense.devices import connected_devices, list_cameras, select_device
from station.sources.realsense.live_camera import (NO_CAMERA, RECONNECTING, STARTING, STOPPED, STREAMING,
                                                   CameraBusyError, LiveCamera, Reconnector)
from station.sources.realsense.playback import PlaybackDevice, convert_bag_to_db3
from station.sources.realsense.record import record_live
from station.sources.realsense.sdk import (DEFAULT_SYNTHETIC_SERIAL, SYNTHETIC_NAME, VISUAL_PRESETS, SourceError,
                                           intrinsics_from_rs, intrinsics_to_rs)
from station.sources.realsense.software import SoftwareCameraFeed, SoftwareDepthCamera

__all__ = [
    "SourceError", "SoftwareDepthCamera", "PlaybackDevice", "LiveCamera", "Reconnector",
    "CameraBusyError", "SoftwareCameraFeed", "VISUAL_PRESETS", "connected_devices", "select_device",
    "list_cameras", "record_live", "convert_bag_to_db3", "intrinsics_from_rs",
    "intrinsics_to_rs", "SYNTHETIC_NAME", "DEFAULT_SYNTHETIC_SERIAL",
    "STREAMING", "STARTING", "RECONNECTING", "NO_CAMERA", "STOPPED",
]
