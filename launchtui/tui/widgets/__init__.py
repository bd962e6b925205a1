"""The panels of the checklist screen."""
