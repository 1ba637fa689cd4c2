"""The cue policy: which one thing to tell the lifter, and when.

Requests come from three places:
- a fault's onset in the rep in progress (a rule's live check): shown at once, if it is the
  most important thing pending (so the cue appears while the fault happens);
- a finished rep: praise for a clean hinge; a squat message for a squat; and a reminder of the
  rep's most important fault, timed to that rule's ``cue_phase`` in the next rep
  ("brace and keep your back flat" as the next lowering begins, "stand tall, squeeze the
  glutes" at the top);
- the squat recognised live at the bottom (replaces the knee-dominance correction: the lifter
  is told it saw a squat, not coached as a bad hinge).

One cue at a time. Priority: the rule's profile priority (1 = most important: spine before
knees before lockout/lean-back/shift before tempo); the squat message ranks just above
knee dominance; praise and info last. Debounce:
- a cue stays up at least ``hold_s``; only a strictly more important cue replaces it sooner,
  and not before MIN_PREEMPT_S;
- the same cue is not shown again within ``min_interval_s`` of its last showing (while it is
  still on screen a repeat of the same fault simply keeps it there);
- a fault of the rep in progress replaces a cue about an earlier rep once that has been up
  MIN_VISIBLE_S (the lifter hears about what they are doing now);
- a cue disappears ``hold_s`` × DISPLAY_FACTOR after it was shown if nothing replaces it.

Phase gating: a correction is shown only in the phases where it helps (HELP_PHASES, by fault
label: "push your hips back" while lowering and at the bottom, never while driving up). A
correction already on screen is taken down at once when the phase leaves them.

One story per rep: a fault cue (kind "fault") is a live correction of the rep in progress. When
that rep's verdict arrives, a fault cue shown during it whose fault the verdict does not record
is taken down at once (and a pending one dropped). Reminders before the next rep (kind
"reminder"), praise and "better" feedback (kind "praise": a fault of the last rep fixed on this
one, "Back flat: better") are not fault cues; they follow the same priority and debounce.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from station.form.rules import RULE_TYPES
from station.form.texts import cue_text
from station.model import Cue

PRAISE_PRIORITY = 10.0
INFO_PRIORITY = 11.0
DISPLAY_FACTOR = 1.5
MIN_PREEMPT_S = 0.25        # even a more important cue waits this long (no flicker)
MIN_VISIBLE_S = 0.5         # a cue about an earlier rep gives way to the rep in progress after this
LIVE_REQUEST_S = 1.0        # a live fault cue not shown within this long is dropped
REMINDER_S = 15.0           # a reminder waits at most this long for its phase

BETTER_PRIORITY = 9.0        # "Back flat: better" ranks above plain praise
# praise is about the rep just finished: it stays up until the next rep begins
PRAISE_PHASES: tuple[str, ...] = ("bottom", "lockout", "standing")

# Where each correction helps while the fault happens (by fault label): a fault cue is shown
# only in these phases and taken down when the phase leaves them.
# (declared on each rule: station.form.rules, Rule.help_phases)
HELP_PHASES: dict[str, tuple[str, ...]] = {n: c.help_phases for n, c in RULE_TYPES.items()}

# the profiles' cue_phase -> detector phases where it is shown
PHASE_MAP: dict[str, tuple[str, ...]] = {
    # before the next rep (standing ready) or as it begins
    "lowering": ("standing", "lowering"),
    "bottom": ("standing", "lowering", "bottom"),
    "rising": ("rising",),
    "top": ("lockout", "standing"),
    "after_rep": (),
}


@dataclass(frozen=True)
class CueTiming:
    enabled: bool = True
    hold_s: float = 2.0
    min_interval_s: float = 3.0
    language: str = "en"

    @staticmethod
    def from_config(cues) -> "CueTiming":
        """From station.config CuesSection (cues.enabled, hold_s, min_interval_s, language)."""
        return CueTiming(bool(cues.enabled), float(cues.hold_s), float(cues.min_interval_s),
                         str(cues.language))


@dataclass
class _Request:
    key: str
    kind: str
    rule: str | None
    priority: float
    t_req: float
    expires_t: float
    phases: tuple[str, ...] = ()      # empty: any phase
    not_before: float = 0.0
    rep_id: int = -1
    help: tuple[str, ...] = ()        # once shown it stays up only in these phases (empty: any)


@dataclass
class CuePolicy:
    timing: CueTiming = field(default_factory=CueTiming)
    current: Cue | None = None
    current_priority: float = 99.0
    current_rep_id: int = -1
    current_help: tuple[str, ...] = ()
    shown: list[Cue] = field(default_factory=list)      # every cue shown, in order
    taken_down: list[tuple[float, str, str]] = field(default_factory=list)  # (t, key, why)
    _last_faults: tuple[str, ...] | None = None
    _last_shown: dict = field(default_factory=dict)
    _requests: list = field(default_factory=list)

    # -- requests ------------------------------------------------------------------------
    def request(self, t: float, key: str, kind: str, priority: float, rule: str | None = None,
                phases: tuple[str, ...] = (), wait_s: float = LIVE_REQUEST_S, rep_id: int = -1,
                help: tuple[str, ...] = ()) -> None:
        for r in self._requests:
            if r.key == key and r.phases == phases:
                r.expires_t = max(r.expires_t, t + wait_s)
                r.priority = min(r.priority, priority)
                return
        self._requests.append(_Request(key, kind, rule, priority, t, t + wait_s, phases, rep_id=rep_id,
                                       help=help))

    def fault_onset(self, t: float, rule, rep_id: int = -1) -> None:
        """A rule's live check fired in the rep in progress: show its cue now, in the phases
        where it helps (if that cue is already on screen it is refreshed: it stays up another
        hold, no flicker)."""
        help_ = HELP_PHASES.get(rule.name, ())
        if self.current is not None and self.current.key == rule.cue:
            # (a reminder of the same correction becomes this rep's live fault cue)
            self.current = replace(self.current, t_s=t, rule=rule.name, kind="fault")
            self.current_help = help_
            self.current_priority = min(self.current_priority, float(rule.priority))
            self._last_shown[rule.cue] = t
            return
        # shown in the phases where it helps except the last, where it may only stay (a cue
        # that would come down a moment later is not put up)
        show = help_[:-1] if len(help_) > 1 else help_
        self.request(t, rule.cue, "fault", float(rule.priority), rule.name, phases=show, rep_id=rep_id,
                     help=help_)

    def squat_seen(self, t: float, priority: float, rep_id: int = -1) -> None:
        self.request(t, "squat_seen", "info", priority, None, rep_id=rep_id)

    def rep_done(self, t: float, faults: tuple[str, ...], pattern: str, rules: dict,
                 squat_priority: float, start_t: float | None = None,
                 not_judged: tuple[str, ...] = ()) -> None:
        """A rep was judged: its story is settled (a fault cue shown during it that the verdict
        does not record comes down at once), then praise, "better", the squat message, or a
        reminder for the next rep. start_t: the rep's start (None: the rep is the only one the
        live cues can be about); not_judged: the labels the verdict could not judge, which
        this rep did not fix (a lockout lost from view is no "Tall finish: better")."""
        self._settle(t, faults, start_t)
        prev, self._last_faults = self._last_faults, tuple(faults) if pattern == "hinge" else None
        if pattern == "squat":
            if self._last_shown.get("squat_seen", -1e9) < t - self.timing.min_interval_s:
                self.request(t, "squat_seen", "info", squat_priority, None)
            return
        fixed = [f for f in (prev or ()) if f not in faults and f not in not_judged and f in rules]
        if not faults:
            if fixed:
                best = min(fixed, key=lambda f: rules[f].priority)
                self.request(t, f"better.{best}", "praise", BETTER_PRIORITY, best, wait_s=1.5, help=PRAISE_PHASES)
            else:
                self.request(t, "good_rep", "praise", PRAISE_PRIORITY, None, wait_s=1.5, help=PRAISE_PHASES)
            return
        top = min((rules[f] for f in faults if f in rules), key=lambda r: r.priority, default=None)
        if top is None:
            return
        if fixed:
            best = min(fixed, key=lambda f: rules[f].priority)
            self.request(t, f"better.{best}", "praise", BETTER_PRIORITY, best, wait_s=1.5, help=PRAISE_PHASES)
        phases = PHASE_MAP.get(top.cue_phase, ())
        if not phases:  # "after_rep": now, as a reminder for the next rep
            self.request(t, top.cue, "reminder", float(top.priority), top.name, wait_s=LIVE_REQUEST_S)
        else:
            # a reminder, timed to the phase where it helps in the next rep; it ranks below
            # anything that happens live, and comes down when that phase is over
            help_ = tuple(dict.fromkeys(phases + HELP_PHASES.get(top.name, ())))
            self.request(t, top.cue, "reminder", float(top.priority) + 0.25, top.name, phases=phases,
                         wait_s=REMINDER_S, help=help_)

    def _settle(self, t: float, faults: tuple[str, ...], start_t: float | None) -> None:
        """One story per rep: live fault cues the verdict does not back come down / are dropped;
        one it backs, still on screen, becomes a reminder."""
        def about_it(rule: str | None, shown_t: float) -> bool:
            return rule is not None and (start_t is None or shown_t >= start_t - 1e-9)

        def unbacked(rule: str | None, shown_t: float) -> bool:
            return about_it(rule, shown_t) and rule not in faults

        cur = self.current
        if cur is not None and cur.kind == "fault" and about_it(cur.rule, cur.t_s):
            if cur.rule not in faults:
                self._take_down(t, "not in the rep's verdict")
            else:
                # the rep is over and its verdict records the fault: what stays on screen is
                # about the last rep, for the next ("NEXT REP"), no longer a correction of the rep
                # in progress. It comes down, as before, when the next lowering is seen, 0.4-0.5 s
                # after the hips begin to move (the rep detector's threshold): shown as a live
                # fault it read as a fault of a clean rep (4 of 92 clean reps of the mesh library)
                self.current = replace(cur, kind="reminder")
        self._requests = [r for r in self._requests
                          if not (r.kind == "fault" and unbacked(r.rule, r.t_req))]

    def rep_dropped(self, t: float, start_t: float) -> None:
        """The movement that began at start_t was not a rep after all (a partial dip, a step,
        walking away): what was said about it comes down (fault cues and the squat message)."""
        def about_it(kind: str, shown_t: float) -> bool:
            return kind in ("fault", "info") and shown_t >= start_t - 1e-9

        cur = self.current
        if cur is not None and about_it(cur.kind, cur.t_s) and cur.key != "good_rep":
            self._take_down(t, "not a rep")
        self._requests = [r for r in self._requests if not (about_it(r.kind, r.t_req) and not r.phases
                                                             or r.kind == "fault" and r.t_req >= start_t)]

    def _take_down(self, t: float, why: str) -> None:
        if self.current is not None:
            self.taken_down.append((t, self.current.key, why))
        self.current, self.current_priority, self.current_rep_id, self.current_help = None, 99.0, -1, ()

    def take_down(self, t: float, why: str = "") -> None:
        """Remove whatever is on screen now and everything pending (the exercise changed)."""
        self._take_down(t, why)
        self._requests.clear()

    def clear_reminders(self) -> None:
        self._requests = [r for r in self._requests if not r.phases]

    # -- the frame's cue -----------------------------------------------------------------
    def step(self, t: float, phase: str | None) -> Cue | None:
        tm = self.timing
        if not tm.enabled:
            self._requests.clear()
            return None
        self._requests = [r for r in self._requests if r.expires_t > t]
        if self.current is not None and t - self.current.t_s >= tm.hold_s * DISPLAY_FACTOR:
            self.current, self.current_priority, self.current_rep_id, self.current_help = None, 99.0, -1, ()
        if self.current is not None and self.current_help and phase not in self.current_help:
            self._take_down(t, f"phase {phase}")     # the correction no longer helps
        best = None
        for r in self._requests:
            if r.phases and phase not in r.phases:
                continue
            if r.help and phase not in r.help:
                continue      # it would come down at once
            if self.current is not None and r.key == self.current.key:
                continue   # already on screen
            if t - self._last_shown.get(r.key, -1e9) < tm.min_interval_s:
                continue
            if best is None or (r.priority, r.t_req) < (best.priority, best.t_req):
                best = r
        # a request for what is already on screen is satisfied by it
        if self.current is not None:
            # (a reminder for the next rep stays: it comes back before that rep)
            self._requests = [r for r in self._requests if r.key != self.current.key or r.kind == "reminder"]
        if best is None:
            return self.current
        up_s = t - self.current.t_s if self.current is not None else math.inf
        can_show = (self.current is None
                    or (best.priority < self.current_priority and up_s >= MIN_PREEMPT_S)
                    or up_s >= tm.hold_s
                    # the rep in progress comes before a cue about an earlier one
                    or (best.rep_id > self.current_rep_id >= -1 and best.rep_id >= 0
                        and up_s >= MIN_VISIBLE_S))
        if can_show:
            self._requests.remove(best)
            cue = Cue(key=best.key, text=cue_text(best.key, tm.language), kind=best.kind,
                      rule=best.rule, t_s=t)
            self.current, self.current_priority, self.current_rep_id = cue, best.priority, best.rep_id
            self.current_help = best.help
            self._last_shown[best.key] = t
            self.shown.append(cue)
        return self.current
