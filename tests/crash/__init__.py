"""Crash-safety harness: a worker process writes through the real services and is SIGKILLed."""
