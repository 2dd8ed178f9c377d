"""The real services of tests/services (PostgreSQL, nginx, an S3 API server), one of each
per test session. Another test folder uses them by importing the same fixtures into its
own conftest.py."""

from tests.services.postgres import (  # noqa: F401
    fresh_postgres_url,
    postgres_server,
    postgres_url,
)
from tests.services.s3 import s3_service  # noqa: F401
