"""The shipped checks. Importing this package registers every one of them."""

# Within a checklist section, checks are listed in the order they register: this order matters.
# It is the product's table order (a module with checks in two sections sits where both fit).
from launchtui.checks import (  # noqa: F401, I001  (each module registers its checks)
    env,
    env_keys,
    env_cloudinary,
    env_cors,
    env_debug,
    env_undeclared,
    procfile,
    database,
    cors_preflight,
    cloudinary,
    frontend,
    frontend_bundle,
    backup_tools,
    backups,
    backup_offsite,
    pool,
    tempfiles,
    https,
    security,
    track_modifications,
)
