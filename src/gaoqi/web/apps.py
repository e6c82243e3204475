from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "gaoqi.web"
    verbose_name = "页面"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        import gaoqi.deploy  # noqa: F401  (registers the deploy checks)
        from gaoqi.web.middleware import mark_session_seen

        user_logged_in.connect(mark_session_seen, dispatch_uid="gaoqi.web.session_seen")
