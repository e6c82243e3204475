from tests.workflow.conftest import sme_world  # noqa: F401 - the same cast for the programme tests
