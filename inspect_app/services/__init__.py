"""Use cases. Services own transactions; screens and CLI commands call them and never open sessions."""
