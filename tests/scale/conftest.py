"""A second database alias "replica" for the router's tests, when the run has none (GAOQI_REPLICA_URL unset).

It is a separate test database (not a mirror of default) so that a test can show a write did not reach it
and an opted-in read came from it. Only the tests that name it (`databases=[..., "replica"]`) create it.
Added at collection, before the test databases are set up; the router sends reads to it only where a test
sets GAOQI_READ_REPLICA."""

from __future__ import annotations

from django.conf import settings
from django.db import connections

if "replica" not in settings.DATABASES:
    default = settings.DATABASES["default"]
    replica = {**default, "NAME": f"{default['NAME']}_replica", "TEST": {}}
    settings.DATABASES["replica"] = replica
    connections.settings["replica"] = connections.configure_settings(
        {"default": default, "replica": replica}
    )["replica"]
