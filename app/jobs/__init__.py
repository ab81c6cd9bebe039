"""Background jobs: the queue, enqueue-after-commit, and the app context a job runs in."""
