"""Service commitments: policies and the due-time arithmetic."""
