"""The Textual face of launchtui: the checklist as live interactive panels."""
