"""Rolling summaries: the offline extractive summariser and the LLM one (over HTTP)."""

from __future__ import annotations

from app.llm.openai_compat import OpenAICompatibleProvider
from app.llm.tokens import estimate_tokens
from app.memory.summary import LLMSummarizer, summarize_rules
from tests.fakes.openai_server import FakeOpenAI, Reply

TRANSCRIPT = [
    ("user", "ok"),
    ("user", "My brother Tomás is flying in from Porto on Friday."),
    ("assistant", "Oh, how exciting!"),
    ("user", "We are going to see a football match together, Benfica against Porto."),
    ("user", "lol"),
    ("assistant", "Tell me more about him."),
    ("user", "He is allergic to feathers so I bought new pillows."),
]


def test_rules_keep_what_informs_within_budget_in_order() -> None:
    summary = summarize_rules(None, TRANSCRIPT, max_tokens=400)
    lines = summary.splitlines()
    assert lines[0] == "- User: My brother Tomás is flying in from Porto on Friday."
    assert "- User: He is allergic to feathers so I bought new pillows." in lines
    assert not any(line.endswith(": ok") or line.endswith(": lol") for line in lines)
    tight = summarize_rules(None, TRANSCRIPT, max_tokens=30)
    assert sum(estimate_tokens(x) + 1 for x in tight.splitlines()) <= 30
    assert "Tomás" in tight  # the most informative line survives the cut
    # Rolling: the previous summary is kept and the new lines follow it.
    rolled = summarize_rules(
        summary, [("user", "My sister Ana joins us on Sunday.")], max_tokens=400
    )
    assert rolled.startswith(summary)
    assert rolled.endswith("- User: My sister Ana joins us on Sunday.")


async def test_the_llm_summariser_folds_new_messages_into_the_summary(
    llm_server: FakeOpenAI,
) -> None:
    provider = OpenAICompatibleProvider(
        base_url=llm_server.base_url, api_key="k", model="fake-model", name="openai_compatible"
    )
    try:
        llm_server.push(Reply("- Tomás (brother) arrives Friday; allergic to feathers."))
        summary = await LLMSummarizer(provider).summarize(
            "- The user lives in Lisbon.", TRANSCRIPT, max_tokens=200
        )
    finally:
        await provider.aclose()
    assert summary == "- Tomás (brother) arrives Friday; allergic to feathers."
    sent = llm_server.chat_requests[-1]
    assert sent["max_tokens"] == 200
    prompt = sent["messages"][1]["content"]
    assert "- The user lives in Lisbon." in prompt
    assert "User: My brother Tomás is flying in from Porto on Friday." in prompt
    assert "Character: Oh, how exciting!" in prompt
