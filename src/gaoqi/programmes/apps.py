from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "gaoqi.programmes"
    label = "programmes"
    verbose_name = "Programmes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each programme's declaration registers itself with the workflow core on import.
        from gaoqi.programmes.tech_sme import declaration  # noqa: F401
