"""Read-only views for supervisors: the team board (reports and dashboards grow here)."""
