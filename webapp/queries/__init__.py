"""Read-side queries, scoped by the user's structure."""
