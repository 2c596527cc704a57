"""Settings for `make bench` only: production's, plus the floor page (bench/urls.py)."""

from secportal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
