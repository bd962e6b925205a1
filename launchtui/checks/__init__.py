"""The shipped checks. Importing this package registers every one of them."""

from launchtui.checks import (  # noqa: F401  (each module registers its checks)
    backend_config,
    backups,
    cloudinary,
    database,
    env,
    frontend,
    web,
)
