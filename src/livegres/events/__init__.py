"""Event triggers, cron triggers and one-off scheduled events.

- ``capture``: the PostgreSQL row triggers that write ``hdb_catalog.event_log`` in the writer's
  transaction, kept in step with the metadata by ``capture.sync``.
- ``filters``: optional per-trigger conditions compiled into those triggers.
- ``delivery``: one webhook call, and the invocation-log shapes.
- ``worker``: claiming, delivering and recording event-log events across instances.
- ``scheduled``: cron triggers (events generated ahead of time) and one-off events.
- ``cleanup``: deleting old finished events (``livegres events cleanup``, ``cleanup_config``).
- ``service``: starts and stops the workers of one instance.
"""
