"""The 1.x migration as the command line, the admin page and App Engine's task run it."""

import pathlib

from flask import current_app

from handlers.auth.oauth1 import secret_box
from models.legacy import Migration

# What one admin-started request may spend on it; the next request carries on (it is resumable).
REQUEST_BUDGET_SECONDS = 45


def icon_shipped(icon_set, file_name):
    """Whether static/ has the icon a migrated status or image names."""
    return (pathlib.Path(current_app.static_folder) / "images" / "icons" / icon_set / f"{file_name}.png").is_file()


def migrate(dry_run=False, deadline=None):
    """One run of the migration (see models/legacy.py); answers its Report."""
    return Migration(dry_run=dry_run, deadline=deadline, image_exists=icon_shipped,
                     box=None if dry_run else secret_box()).run()
