"""Shared fixtures: seeded randomness and short synthetic recordings made once per session."""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def short_recording(tmp_path_factory):
    """3 s of the rdl_clean scenario recorded with `station record --synthetic` (path, truth path)."""
    from station.cli import main

    out = tmp_path_factory.mktemp("rec") / "rdl_clean_3s.db3"
    assert main(["record", "--synthetic", "rdl_clean", str(out), "--seconds", "3"]) == 0
    return out, out.with_name(out.stem + ".truth.json")
