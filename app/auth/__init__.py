"""Staff users and their roles."""
