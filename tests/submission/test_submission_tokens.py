"""Operator tokens from configuration (inline or file), stored hashed, with expiry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from submission.tokens import Operators, OperatorTokenError, new_token, token_hash


def test_inline_and_file_entries_with_expiry(tmp_path):
    alice, bob, carol = new_token(), new_token(), new_token()
    file = tmp_path / "operators.txt"
    file.write_text(f"# DGE\ncarol:{token_hash(carol)}@2027-01-01T00:00:00+00:00  # regional\n\n")
    ops = Operators.from_config(f"alice:{token_hash(alice)}, bob:{token_hash(bob)}@2026-06-30", file)
    assert len(ops) == 3
    now = datetime(2026, 5, 1, tzinfo=UTC)
    assert ops.authenticate(alice, now).name == "alice"
    assert ops.authenticate(bob, now).name == "bob"
    assert ops.authenticate(bob, datetime(2026, 7, 1, tzinfo=UTC)) is None  # expired
    assert ops.authenticate(carol, now).name == "carol"
    assert ops.authenticate(token_hash(alice), now) is None  # the hash is not the token
    assert ops.authenticate("", now) is None


@pytest.mark.parametrize("entry", ["alice", "alice:abc", ":" + "a" * 64, "bob:" + "g" * 64,
                                   "bob:" + "a" * 64 + "@not-a-date"])
def test_bad_entries_are_refused_with_a_clear_message(entry):
    with pytest.raises(OperatorTokenError, match="operator"):
        Operators.from_config(entry, None)


def test_tokens_are_long_and_random():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and min(len(t) for t in tokens) >= 43
