"""Sentence embeddings from the bundled multilingual-e5-small."""

from __future__ import annotations

import numpy as np
import pytest

from quotahit.providers.local.embeddings import DIMENSIONS, embed, most_similar

pytestmark = pytest.mark.usefixtures("e5")

OBJECTIONS = [
    "We don't have the budget for this right now.",
    "We already use a competitor and we're happy with them.",
    "I need to talk to my boss before deciding.",
    "Can you call me back next quarter?",
]


def test_vectors_are_normalised_rows() -> None:
    vectors = embed(["first sentence", "second sentence", "third"])

    assert vectors.shape == (3, DIMENSIONS)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embed([]).shape == (0, DIMENSIONS)
    with pytest.raises(TypeError, match="list of texts"):
        embed("a single string")


def test_similar_sentences_score_higher_than_unrelated_ones() -> None:
    price, expensive, weather, football = embed(
        [
            "The price is too high for us.",
            "It is too expensive for our budget.",
            "The weather is lovely today.",
            "Our team won the football match.",
        ]
    )

    assert price @ expensive > price @ weather + 0.05
    assert price @ expensive > price @ football + 0.05
    assert np.allclose(embed(["The price is too high for us."])[0], price, atol=1e-5)


@pytest.mark.parametrize(
    ("said", "objection"),
    [
        ("Honestly, it costs more than we can afford this year.", 0),
        ("We're pretty locked in with Salesforce at the moment.", 1),
        ("My manager has to sign off on anything like this.", 2),
        ("Reach out again after the summer.", 3),
    ],
)
def test_most_similar_finds_the_objection_meant(said: str, objection: int) -> None:
    matches = most_similar(said, OBJECTIONS)

    assert matches[0].index == objection
    assert matches[0].text == OBJECTIONS[objection]
    assert [match.score for match in matches] == sorted(
        (match.score for match in matches), reverse=True
    )
    assert len(most_similar(said, OBJECTIONS, top_k=2)) == 2
    assert most_similar(said, []) == []


def test_passages_are_embedded_with_their_own_prefix() -> None:
    as_query = embed(["pricing page for enterprise plans"])
    as_passage = embed(["pricing page for enterprise plans"], passages=True)

    assert not np.allclose(as_query, as_passage)
    assert float(as_query[0] @ as_passage[0]) > 0.9
