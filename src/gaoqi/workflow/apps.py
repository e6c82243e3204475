from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "gaoqi.workflow"
    label = "workflow"
    verbose_name = "Workflow"
    default_auto_field = "django.db.models.BigAutoField"
