from django.apps import AppConfig


class PoolConfig(AppConfig):
    name = "gaoqi.programmes.pool"
    label = "pool"
    verbose_name = "Cultivation pool"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The declaration registers the programme with the workflow core; the rewards read pool membership
        # through the source registered here (gaoqi.rewards.facts).
        from gaoqi.programmes.pool import declaration  # noqa: F401
        from gaoqi.programmes.pool.selectors import memberships
        from gaoqi.rewards.facts import register_pool_source

        register_pool_source(memberships)
