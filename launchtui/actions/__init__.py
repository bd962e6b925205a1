"""Things that change the world: backups, migrations, cleanup."""
