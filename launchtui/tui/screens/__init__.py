"""The app's screens: the checklist and the help."""
