"""The sync hub: an HTTP service (FastAPI) that devices push their changes to and pull others' from.

See docs/SYNC.md for the protocol; `create_app` in app.py builds the service, storage.py holds
its database (never a device's), push.py and pull.py the two halves of sync.
"""
