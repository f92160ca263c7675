"""Operator tokens from configuration (inline or file), stored hashed, with expiry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from submission.__main__ import main
from submission.scopes import Scope
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


def test_scoped_entries_inline_and_in_a_file(tmp_path):
    national, regional, mixed = new_token(), new_token(), new_token()
    file = tmp_path / "operators.txt"
    file.write_text(f"bruno:{token_hash(regional)}/region=84  # DREETS ARA\n"
                    f"chloe:{token_hash(mixed)}@2027-01-01/region=84/region=93/department=2a\n")
    ops = Operators.from_config(f"alice:{token_hash(national)}", file)
    now = datetime(2026, 5, 1, tzinfo=UTC)
    alice, bruno, chloe = (ops.authenticate(t, now) for t in (national, regional, mixed))
    assert alice.scope.national and alice.scope.covers(None, None)
    assert bruno.scope == Scope.of(["84"]) and not bruno.scope.national
    assert bruno.scope.covers("84", "69") and not bruno.scope.covers("11", "75")
    assert not bruno.scope.covers(None, None)  # online events: national operators only
    assert chloe.scope.departments == {"2A"} and chloe.scope.regions == {"84", "93"}
    assert chloe.scope.covers("94", "2A") and not chloe.scope.covers("94", "2B")
    assert chloe.expires_at.year == 2027


@pytest.mark.parametrize("suffix", ["/region=99", "/department=100", "/zone=84", "/region=",
                                    "/84"])
def test_bad_scopes_are_refused(suffix):
    with pytest.raises(OperatorTokenError, match="operator bob: .*(région|département|scope)"):
        Operators.from_config("bob:" + "a" * 64 + suffix, None)


def test_the_command_prints_an_entry_that_works(capsys, tmp_path):
    assert main(["operator-token", "bruno", "--region", "84", "--department", "2a"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("token (give it to bruno, once): ")
    assert out[1].startswith("OPERATOR_TOKENS entry: bruno:")
    token, entry = out[0].rsplit(" ", 1)[1], out[1].rsplit(" ", 1)[1]
    assert entry.endswith("/region=84/department=2A")
    (tmp_path / "tokens").write_text(entry + "\n")
    for ops in (Operators.from_config(entry, None),
                Operators.from_config("", tmp_path / "tokens")):
        op = ops.authenticate(token)
        assert op.name == "bruno" and op.scope == Scope.of(["84"], ["2A"])
    assert main(["operator-token", "plain"]) == 0
    assert capsys.readouterr().out.splitlines()[1].count("/") == 0  # national, as before


def test_the_command_refuses_unknown_codes(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["operator-token", "bruno", "--region", "99"])
    assert exit_.value.code == 2 and "99" in capsys.readouterr().err
