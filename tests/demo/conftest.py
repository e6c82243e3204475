import pytest


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The demo accounts hash six passwords; PBKDF2 would dominate these tests' run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
