"""Every fault of every profile has what the lifter reads and sees about it, taken from the
rule's one declaration (station.form.rules): the summary text, the short label, the cue text,
and the body lines the live screen colours while its cue shows."""
from __future__ import annotations

import os
from dataclasses import replace

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from station.config import available_exercises, load_exercise  # noqa: E402
from station.contract import FAULTS  # noqa: E402
from station.form.rules import RULE_TYPES  # noqa: E402
from station.form.texts import TEXTS_EN  # noqa: E402
from station.model import Cue  # noqa: E402
from station.usage.html import FAULT_TEXT as STAFF_FAULT_TEXT  # noqa: E402
from station.usage.html import RULE_TEXT as STAFF_RULE_TEXT  # noqa: E402
from station.overlay.layout import FAULT_BONES, FAULT_SHORT, FAULT_TEXT  # noqa: E402
from station.overlay.screens import layout  # noqa: E402
from tests.overlay import fixtures as fx  # noqa: E402

SIZE = (1080, 1920)
PROFILES = available_exercises()


def test_the_packaged_profiles_are_all_checked():
    assert {"rdl", "deadlift", "good_morning", "kettlebell_swing"} <= set(PROFILES)


@pytest.mark.parametrize("name", PROFILES)
def test_every_fault_of_every_profile_has_its_text(name):
    profile = load_exercise(name)
    for label in type(profile.rules).model_fields:
        rule = getattr(profile.rules, label)
        assert label in FAULTS and label in RULE_TYPES
        assert FAULT_TEXT[label].strip() and FAULT_SHORT[label].strip(), label
        assert len(FAULT_SHORT[label]) <= 16, (label, FAULT_SHORT[label])  # fits the last-rep note
        assert TEXTS_EN.get(rule.cue, "").strip(), (name, label, rule.cue)
        # and the staff summary names it and what the coach could not judge
        assert STAFF_FAULT_TEXT[label].strip() and STAFF_RULE_TEXT[label].strip(), label


def test_fault_texts_are_distinct():
    assert len(set(FAULT_TEXT.values())) == len(FAULT_TEXT) == len(FAULTS)
    assert len(set(FAULT_SHORT.values())) == len(FAULT_SHORT) == len(FAULTS)


@pytest.mark.parametrize("label", sorted(FAULT_BONES))
def test_a_fault_cue_colours_exactly_its_body_lines(label):
    """Each declared body segment is a line the live screen draws, and a fault cue turns those
    lines (and no others) from the resting cyan to the cue's amber."""
    base = fx.views(SIZE)["live_bottom"]
    cue = Cue(RULE_TYPES[label].cue, TEXTS_EN[RULE_TYPES[label].cue], "fault", label, base.now_s - 1.0)
    view = fx.settled(replace(base, state=replace(base.state, cue=cue)))
    shapes = layout(view, SIZE)
    drawn = {s.tag.split(".", 1)[1] for s in shapes if s.tag.startswith("skeleton.")} - {"context", "joint"}
    assert set(FAULT_BONES[label]) <= drawn, (label, drawn)
    for seg in drawn:
        lines = [s for s in shapes if s.tag == f"skeleton.{seg}"]
        hot = all(s.rgb[0] > 200 and s.rgb[2] < 100 for s in lines)
        assert hot == (seg in FAULT_BONES[label]), (label, seg, [s.rgb for s in lines])
