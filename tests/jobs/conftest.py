import pytest

from gaoqi.jobs import services

IMMEDIATE = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}
}


@pytest.fixture
def test_funcs(monkeypatch):
    """Let jobs run the helper functions of tests/jobs/funcs.py."""
    monkeypatch.setattr(services, "ALLOWED_PREFIXES", (*services.ALLOWED_PREFIXES, "tests.jobs.funcs."))


@pytest.fixture
def immediate(settings):
    """Jobs run inside start_job (the immediate backend), as GAOQI_TASKS_BACKEND=immediate does."""
    settings.TASKS = IMMEDIATE
