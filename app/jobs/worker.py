"""The rq worker class: builds the app once, before it forks a work horse for each job.

`make worker` runs `rq worker --worker-class app.jobs.worker.AppWorker`. Without it every forked
horse would build the app again (about two seconds a job).
"""
from __future__ import annotations

from rq import Worker

from app.extensions import db
from app.jobs.queue import worker_app


class AppWorker(Worker):
    """An rq Worker whose horses inherit a ready app and open their own database connections."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = worker_app()

    def main_work_horse(self, job, queue):
        with self.app.app_context():
            db.engine.dispose(close=False)  # never share the parent's pooled connections across fork
        return super().main_work_horse(job, queue)
