"""The technician's mobile pages: my jobs, one-tap steps, resolution with photos."""
