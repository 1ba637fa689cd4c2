"""Usage log and nightly summaries: numbers, not people.

- :mod:`station.usage.schema`   the SQLite schema, its versions and migrations
- :mod:`station.usage.store`    UsageLog: the queue and the one writer thread (WAL), retention
- :mod:`station.usage.recorder` UsageRecorder: the running station's frames → events
- :mod:`station.usage.figures`  DayFigures: a day of one or more stations, additive
- :mod:`station.usage.summary`  sources (databases, exports), the report, JSON/CSV, exports
- :mod:`station.usage.html`     the self-contained HTML page with inline SVG charts
- :mod:`station.usage.delivery` e-mail (SMTP + STARTTLS), directory copy, outbox, attention e-mails
- :mod:`station.usage.nightly`  `station summary` and the nightly job
- :mod:`station.usage.generate` generated logs with known contents (tests, benchmarks)
"""
