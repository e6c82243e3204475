from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "gaoqi.ledger"
    verbose_name = "培育台账"
