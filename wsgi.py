"""WSGI entry point: `gunicorn wsgi:app`."""
import gc

from app import create_app

app = create_app()
# What start-up made (the app, its routes and forms, the models' metadata) lives as long as the worker:
# frozen out of the cyclic collector, it is no longer walked by every full collection, which paused a
# busy page for about 100 ms every dozen requests (bench/README.md, "Over budget").
gc.freeze()
