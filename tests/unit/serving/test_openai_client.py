"""The served model through the official `openai` client, as a user's application talks to it:
chat (whole and streamed), completions, the label probabilities of a classify task, OpenAI's
errors (401 without a key, 400 for n=2, 404 for another model), batching, and the request log
written before the answer arrives."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
from sqlalchemy import select

from tests.unit.serving.conftest import Served
from tuneloop.annotate.store.models import ServedRequest
from tuneloop.spec import load_spec

QUESTION = [{"role": "user", "content": "I am still waiting on my card, where is it?"}]


@pytest.fixture(scope="module")
def client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url, api_key=served.key, max_retries=0)


def logged(served: Served, response_id: str) -> ServedRequest | None:
    with served.store.read() as session:
        return session.scalar(select(ServedRequest).where(ServedRequest.response_id == response_id))


def test_chat_answers_a_label_with_every_labels_probability(client: openai.OpenAI, served: Served) -> None:
    labels = load_spec(served.project).label_names
    response = client.chat.completions.create(model=served.model, messages=QUESTION)  # type: ignore[arg-type]
    assert (
        response.id.startswith("chatcmpl-") and response.model == served.model == "banking77-intents-run-001"
    )
    answer = response.choices[0].message.content
    extension = (response.model_extra or {})["tuneloop"]
    assert answer in labels and extension["label"] == answer
    assert set(extension["probabilities"]) == set(labels)
    assert sum(extension["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert max(extension["probabilities"], key=extension["probabilities"].get) == answer
    assert extension["run"] == "run-001" and extension["round"] == 1 and extension["task"] == "classify"
    assert response.usage is not None and response.usage.prompt_tokens > len(QUESTION[0]["content"].split())


def test_the_log_row_is_committed_before_the_first_streamed_byte(
    client: openai.OpenAI, served: Served
) -> None:
    stream = client.chat.completions.create(model=served.model, messages=QUESTION, stream=True)  # type: ignore[arg-type]
    first = next(iter(stream))
    row = logged(served, first.id)  # the client has only the first chunk so far
    assert row is not None and row.run == "run-001" and row.key_id is not None and row.latency_ms > 0
    chunks = [first, *stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == row.response["choices"][0]["message"]["content"]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-1].model_extra or {})["tuneloop"]["label"] == text
    assert row.request["messages"] == QUESTION and row.endpoint == "chat"


def test_completions_answer_a_prompt_as_the_user_turn(client: openai.OpenAI, served: Served) -> None:
    response = client.completions.create(model=served.model, prompt="I lost my card yesterday")
    assert response.id.startswith("cmpl-") and response.object == "text_completion"
    assert response.choices[0].text in load_spec(served.project).label_names
    assert logged(served, response.id) is not None


def test_no_key_is_a_401_in_openais_shape(served: Served) -> None:
    stranger = openai.OpenAI(base_url=served.url, api_key="tlk-not-a-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        stranger.chat.completions.create(model=served.model, messages=QUESTION)  # type: ignore[arg-type]
    assert refused.value.status_code == 401 and refused.value.code == "invalid_api_key"


def test_n_above_one_is_a_400_naming_n(client: openai.OpenAI, served: Served) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=served.model, messages=QUESTION, n=2)  # type: ignore[arg-type]
    assert refused.value.param == "n" and "n=1" in refused.value.message


def test_another_model_name_is_a_404_and_models_lists_the_served_one(
    client: openai.OpenAI, served: Served
) -> None:
    assert [m.id for m in client.models.list()] == [served.model]
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=QUESTION)  # type: ignore[arg-type]


def test_requests_arriving_together_share_a_batch(served: Served) -> None:
    async def ask_many() -> list[int]:
        async with openai.AsyncOpenAI(base_url=served.url, api_key=served.key, max_retries=0) as client:
            answers = await asyncio.gather(
                *(
                    client.chat.completions.create(
                        model=served.model, messages=[{"role": "user", "content": f"card number {i} lost"}]
                    )
                    for i in range(8)
                )
            )
        return [(a.model_extra or {})["tuneloop"]["batch"] for a in answers]

    # Its own thread and event loop: a browser test's playwright may hold this thread's loop.
    with ThreadPoolExecutor(1) as pool:
        batches = pool.submit(asyncio.run, ask_many()).result()
    assert max(batches) > 1 and len(batches) == 8
