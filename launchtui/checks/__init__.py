"""The shipped checks. Importing this package registers every one of them."""

# Within a checklist section, checks are listed in the order they register: this order matters.
from launchtui.checks import (  # noqa: F401, I001  (each module registers its checks)
    backend_config,
    backup_tools,
    backups,
    cloudinary,
    database,
    env,
    env_keys,
    env_cloudinary,
    env_cors,
    env_debug,
    cors_preflight,
    frontend,
    frontend_bundle,
    https,
    security,
)
