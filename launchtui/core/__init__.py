"""The core: checks, runner, results, configuration and secrets. Never imports Textual or Rich."""
