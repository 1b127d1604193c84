"""The device side of sync (docs/SYNC.md): the outbox as wire changes, the merge of remote
changes, and bundles for offices without a network. The HTTP client calls these functions."""
