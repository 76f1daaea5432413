"""Token estimates without a tokenizer download.

Real BPE vocabularies (cl100k, Grok's) average ~4 characters of English per token and about one
token per CJK character (3 UTF-8 bytes). Counting UTF-8 bytes / 3 over-estimates English by
~30% and matches CJK, which is what a hold needs: a worst case that is rarely exceeded. Every
charge uses the provider-reported usage, never this estimate (except the rare stream that ends
without usage, see chat/streaming).
"""

from __future__ import annotations

# The chat format wraps every message in a few tokens of role markers.
MESSAGE_OVERHEAD_TOKENS = 4
REPLY_PRIMING_TOKENS = 3


def estimate_tokens(text: str) -> int:
    if text.isascii():
        return len(text) // 3 + 1
    return len(text.encode("utf-8")) // 3 + 1


def estimate_message_tokens(text: str) -> int:
    return estimate_tokens(text) + MESSAGE_OVERHEAD_TOKENS


def approx_tokens(text: str) -> int:
    """A fair (not worst-case) count, for charging a stream that ended without usage: ~4
    characters per token, the average of English BPE vocabularies."""
    return (len(text) + 3) // 4
