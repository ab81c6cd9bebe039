"""Service teams, the districts they serve, and assignment to a technician."""
