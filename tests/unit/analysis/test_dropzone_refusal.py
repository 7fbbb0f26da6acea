"""What the call analyzer's dropzone says about a file it refuses."""

from quotahit.analysis.pages import ACCEPT
from quotahit.analysis.state import RECORDING_TYPES
from quotahit.coach.attachments import picker_refusal


def test_a_refused_document_is_named_with_the_recordings_the_analyzer_takes() -> None:
    message = picker_refusal(
        [{"name": "deck.docx", "codes": ["file-invalid-type"]}], accepted=RECORDING_TYPES
    )
    assert message.startswith("“deck.docx” can't be added: use a call recording (mp3")
    assert "PDF" not in message


def test_the_message_names_every_extension_the_dropzone_accepts() -> None:
    for extension in (e for extensions in ACCEPT.values() for e in extensions):
        assert extension.removeprefix(".") in RECORDING_TYPES, extension
