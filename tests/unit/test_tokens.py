from __future__ import annotations

from podium.dataset.tokens import cost_tokens, row_tokens, tokens_from_bytes, utf8_length


def test_row_tokens_counts_one_token_per_three_utf8_bytes_rounding_up():
    assert row_tokens("abc") == 1
    assert row_tokens("abcd") == 2
    assert row_tokens("ab", "cd") == 2  # texts are counted together
    assert tokens_from_bytes(0) == 0


def test_non_ascii_text_counts_its_bytes_not_its_characters():
    text = "Équipe de France — 東京"
    assert utf8_length(text) == len(text.encode("utf-8"))
    assert row_tokens(text) > -(-len(text) // 3)


def test_row_estimate_is_stricter_than_the_cost_estimate_and_both_above_aws_rule_of_thumb():
    text = "Who won the gold medal in the Men's 100m (Athletics) at Paris 2024? " * 5
    aws_rule_of_thumb = len(text) / 6
    assert row_tokens(text) > cost_tokens(text) > aws_rule_of_thumb
