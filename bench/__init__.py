"""Benchmarks: ``python -m bench`` runs every module here; ``python -m bench.<name>`` runs one.

Each module has a ``main()`` that prints what it measured. Timings are printed, never asserted.
"""
