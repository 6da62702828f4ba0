"""Event buses that cross processes (see `domain.events`)."""
