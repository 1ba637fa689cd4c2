"""`python -m station ...` runs the station's command line (station.cli), as `station ...` does."""
from station.cli import main

raise SystemExit(main())
