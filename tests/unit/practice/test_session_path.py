"""Which page plays a practice session, whatever link opened it."""

from quotahit.practice.models import PracticeSession
from quotahit.practice.state import session_path


def session(mode: str) -> PracticeSession:
    return PracticeSession(
        id=42,
        organization_id=1,
        user_id=1,
        persona_key="sarah_mitchell",
        persona_name="Sarah Mitchell",
        persona_json="{}",
        scenario="discovery",
        focus="discovery_questions",
        difficulty="medium",
        mode=mode,
    )


def test_a_voice_call_is_played_on_the_voice_call_page() -> None:
    assert session_path(session("voice")) == "/practice/voice/42"


def test_a_typed_role_play_is_played_on_the_text_practice_page() -> None:
    assert session_path(session("text")) == "/practice/42"
