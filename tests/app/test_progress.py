"""The progress bars (tqdm): shown when asked, silent when not (and, by default, off a terminal)."""
from __future__ import annotations

from station.app import analyze


def test_analyze_shows_a_bar_only_when_asked(capsys):
    analyze([], "take.db3", "rdl", total=0, progress=True)
    err = capsys.readouterr().err
    assert "analyzing take.db3" in err and "frame" in err
    analyze([], "take.db3", "rdl", total=0, progress=False)
    analyze([], "take.db3", "rdl", total=0)        # stderr is captured: not a terminal
    assert capsys.readouterr().err == ""
