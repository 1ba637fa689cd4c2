"""Stopgap: make the repo's `station` package importable when pytest is run without an
install (pyproject has no `pythonpath` setting yet). Harmless when it is installed."""
import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
