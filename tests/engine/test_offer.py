"""Which models the service offers, as the studio keeps it (lib/engine/offer.py): the
catalog stands when the service has no list (404) or cannot be asked, a refused model is
off at once, and the default and the closest model follow what is offered."""

from __future__ import annotations

from lib.engine.offer import ModelOffer
from lib.wave import ServiceUnreachable


def offer_of(*answers):
    """A ModelOffer whose service answers these, in turn (an exception is raised)."""
    replies = list(answers)

    def ask():
        answer = replies.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return ModelOffer(ask)


def test_without_a_list_every_catalog_model_is_offered_and_1_0_is_the_default():
    offer = offer_of(None)  # the service answered 404
    assert offer.refresh()
    assert offer.offered() == [
        "grok-imagine-1.0-video",
        "grok-imagine-video-1.5-rev",
        "grok-imagine-video",
        "grok-imagine-video-1.5",
    ]
    assert offer.default_model() == "grok-imagine-1.0-video"


def test_a_model_left_out_is_unavailable_with_the_reason_and_the_recommended_is_default():
    offer = offer_of(("grok-imagine-video-1.5-rev", "grok-imagine-video", "some-image-model"))
    offer.refresh()
    gone = offer.availability("grok-imagine-1.0-video")
    assert not gone.available and "does not offer this model now" in gone.reason
    assert offer.default_model() == "grok-imagine-video-1.5-rev"
    assert offer.instead_of("grok-imagine-1.0-video").model_id == "grok-imagine-video-1.5-rev"
    # The 1.5 model: not offered either; the nearest price among those offered.
    assert offer.instead_of("grok-imagine-video-1.5").model_id == "grok-imagine-video"


def test_an_unanswered_look_keeps_what_was_known_and_a_refusal_holds_until_listed_again():
    listed = ("grok-imagine-video-1.5-rev", "grok-imagine-video")
    offer = offer_of(listed, ServiceUnreachable(), listed[:1], listed)
    offer.refresh()
    assert not offer.refresh()  # no answer: nothing forgotten
    assert offer.offered() == list(listed)
    offer.mark_gone("grok-imagine-video", "The model grok-imagine-video has been retired.")
    assert "It said: “The model grok-imagine-video has been retired.”" in (
        offer.availability("grok-imagine-video").reason
    )
    offer.refresh()  # the next list leaves it out too
    assert not offer.availability("grok-imagine-video").available
    offer.refresh()  # a list that names it again: the service's word, it can be tried again
    assert offer.availability("grok-imagine-video").available
