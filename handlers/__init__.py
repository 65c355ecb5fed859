"""The conversations and rules: what a text means, what to answer, what to record.

Imports storage only. No HTTP, no provider library, no wall clock: time comes from a Clock.
"""
