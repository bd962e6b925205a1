"""Property tests over every parser of user input: a value or the documented error, never a crash."""
