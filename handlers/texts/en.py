"""English: the texts live in locale/en/LC_MESSAGES/los.po now.

A key written here still works (it wins over the catalogue) until `python -m
handlers.texts.port` (`make texts`) moves it into en.po and empties this dict again.
"""

TEXTS: dict[str, str] = {}
