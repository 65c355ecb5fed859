"""Passwords that are long enough but guessed first: refused when staff choose one.

Attackers try well-known passwords and common words with digits after them; a long list adds
little over these patterns, so the rule stays small and readable.
"""

from __future__ import annotations

# Words (Norwegian and English) that people build passwords from, lower case.
_WORDS = """
    password passord passw0rd qwerty qwertyuiop qwertyuiopå asdfghjkl asdfghjklæø zxcvbnm
    iloveyou jegelskerdeg letmein welcome velkommen admin administrator sommer vinter høst
    vår sommeren vinteren fotball football monkey dragon sunshine princess shadow master
    superman batman trustno1 baseball starwars whatever freedom norge norway oslo bergen
    trondheim stavanger hemmelig secret changeme endremeg test testing losadmin dagsenteret
    abc abcdef abcdefgh abcdefghijkl
"""

# Whole passwords of 12 characters or more from the lists of leaked passwords.
_PASSWORDS = """
    123456789012 1234567890123 12345678901234 123123123123 111111111111 000000000000
    123456123456 qwerty123456 1q2w3e4r5t6y 1qaz2wsx3edc qazwsxedcrfv zaq12wsxcde3
    passwordpassword password1234 password12345 password123456 iloveyou1234 qwertyqwerty
    abcd1234abcd 1234qwerasdf qwerasdfzxcv asdfasdfasdf aaaaaaaaaaaa 987654321098
"""
COMMON_WORDS = frozenset(_WORDS.split())
COMMON_PASSWORDS = frozenset(_PASSWORDS.split())


def is_common(password: str) -> bool:
    """Whether a lower-cased password is a known one or a common word dressed with digits."""
    if password in COMMON_PASSWORDS:
        return True
    core = password.strip("0123456789!?.,-_#@*+ ")
    if core == "" or core in COMMON_WORDS:
        return True
    # One short piece repeated: "abcabcabcabc", "1212121212121".
    return any(
        (password[:size] * (len(password) // size + 1))[: len(password)] == password
        for size in range(1, 5)
    )
