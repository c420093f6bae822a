"""Local development: the embedded defaults, debug on, a fixed throwaway secret."""

from .base import *  # noqa: F403

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-secret-key-not-for-production-use-0123456789")
INTERNAL_IPS = ["127.0.0.1"]

# runserver serves from the app folders; no manifest is needed before collectstatic.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
