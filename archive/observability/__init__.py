"""Operating the service: probes, metrics and logs.

- ``probes``: ``/livez`` and ``/readyz``, one check per dependency, each with a
  short timeout and off the event loop;
- ``metrics``: the Prometheus instruments, the scrape-time gauges and ``/metrics``;
- ``logs``: one JSON object per line, configured by ``archive serve`` and
  ``archive worker`` at start-up;
- ``requests``: the ASGI middleware that gives each request an id, times it and
  writes its log line;
- ``redaction``: secrets and tokens out of every message written for people.

Nothing here runs at import time.
"""
