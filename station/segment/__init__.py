"""Segmentation: floor plane, learned background, the lifter's blob."""
from station.segment.person import LiftingZone
from station.segment.segmenter import SegmentResult, Segmenter, SegmenterParams

__all__ = ["LiftingZone", "SegmentResult", "Segmenter", "SegmenterParams"]
