from django.apps import AppConfig


class HteConfig(AppConfig):
    name = "gaoqi.programmes.hte"
    label = "hte"
    verbose_name = "HTE certification"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The declaration registers the programme with the workflow core.
        from gaoqi.programmes.hte import declaration  # noqa: F401
