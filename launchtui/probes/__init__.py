"""The I/O behind the checks: database, HTTP, Cloudinary, and reading the backend source."""
