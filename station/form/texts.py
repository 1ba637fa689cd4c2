"""Cue wording (English). Keys are the profiles' `cue` values plus the evaluator's own.

A profile's cue key must name a text here: the config loader refuses any other (with a
suggestion), so a lifter never reads a key spelled out. `cue_text` still falls back to the
key in words for a key of the evaluator's own that has no text, and `missing_texts(profile)`
lists a profile's keys without a text (always empty for a profile that loaded).
"""
from __future__ import annotations

TEXTS_EN: dict[str, str] = {
    # fault corrections (the profiles' cue keys)
    "push_hips_back": "Push your hips back",
    "brace_flat_back": "Brace and keep your back flat",
    "stand_tall_squeeze_glutes": "Stand tall, squeeze the glutes",
    "stand_tall_ribs_down": "Stand tall, ribs down — don't lean back",
    "hips_square": "Keep your hips square",
    "slow_the_lowering": "Slow the lowering down",
    "lower_under_control": "Lower the bar under control",
    "hips_higher_at_start": "Hips a little higher, shins closer to vertical",
    "chest_and_hips_together": "Chest and hips rise together",
    "soft_knees_hips_back": "Soft knees — send the hips back",
    "hike_it_back_hips_back": "Hike it back: hips back, not down",
    "snap_hips_squeeze_glutes": "Snap the hips, squeeze the glutes",
    "plank_at_the_top": "Finish in a standing plank — don't lean back",
    # the evaluator's own
    "squat_seen": "That looked like a squat — for a hinge, push your hips back and keep your shins vertical",
    "good_rep": "Good rep!",
    "good_rep_keep_going": "Nice hinge — keep it up",
    "set_done": "Set done",
    # a fault of the last rep fixed on this one ("better.<fault label>")
    "better.rounded_back": "Back flat: better",
    "better.knee_dominant": "Hips back: better",
    "better.incomplete_lockout": "Tall finish: better",
    "better.overextension": "No lean-back: better",
    "better.hip_shift": "Hips square: better",
    "better.too_fast": "Controlled lowering: better",
    "better.hips_shoot_up": "Chest and hips together: better",
}


def cue_text(key: str, language: str = "en") -> str:
    text = TEXTS_EN.get(key)
    if text is None:
        words = key.replace(".", " ").replace("_", " ").strip()
        text = words[:1].upper() + words[1:]
    return text


def missing_texts(profile) -> list[str]:
    """Cue keys of a profile's rules with no text of their own."""
    return sorted({getattr(profile.rules, n).cue for n in type(profile.rules).model_fields
                   if getattr(profile.rules, n).cue not in TEXTS_EN})


# What the coach tells a lifter it cannot see well enough to judge (CoachState.notice): plain
# words about what would help, never about form.
NOTICE_TEXTS_EN: dict[str, str] = {
    "face_mirror": "Face the mirror so I can see your back",
    "step_back": "Step back into the zone",
    "step_to_centre": "Step to the middle of the zone",
    "stand_tall_to_start": "Stand tall facing the mirror to start",
    # a track lost mid-set, being taken up again in the lifter's pose (no need to stand up)
    "reacquiring": "Stay in the zone, facing the mirror — finding you again",
    "cannot_see": "I can't see you clearly — stand in the zone, facing the mirror",
    # much of the camera's view reads no depth: something right in front of it covers it
    "view_blocked": "Something is blocking my view — clear the space in front of the mirror",
    # the depth over the lifter is too noisy to judge from (a stereo camera's noise grows with
    # the square of the distance): nearer is what helps
    "come_closer": "Come closer to the mirror — I can't see you clearly from there",
}


def notice_text(key: str, language: str = "en") -> str:
    return NOTICE_TEXTS_EN.get(key) or cue_text(key, language)
