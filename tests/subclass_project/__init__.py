"""A project whose maintenance middleware was written for django-maintenance-mode.

It subclasses the middleware and overrides ``process_request`` with its own rule first,
then the package's decision through ``need_maintenance_response`` and
``get_maintenance_response``: moved over by renaming ``maintenance_mode`` to
``maintenance_waffle`` in its imports, nothing else.
"""
