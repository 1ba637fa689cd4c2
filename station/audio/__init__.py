"""Spoken cues and the rep tone: phrases synthesised offline (espeak-ng), cached as WAV,
played through pygame's mixer. See station.audio.speech."""
