"""Assembles the Reflex app: every module's pages, the 404 page and the theme."""

import reflex as rx
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from quotahit.accounts import pages as accounts_pages
from quotahit.admin import pages as admin_pages
from quotahit.analysis import api as analysis_api
from quotahit.analysis import jobs as analysis_jobs
from quotahit.analysis import pages as analysis_pages
from quotahit.brain import warmup
from quotahit.coach import api as coach_api
from quotahit.coach import pages as coach_pages
from quotahit.dashboard import pages as dashboard_pages
from quotahit.home import pages as home_pages
from quotahit.keys import pages as keys_pages
from quotahit.outbox import pages as outbox_pages
from quotahit.practice import api as practice_api
from quotahit.practice import pages as practice_pages
from quotahit.settings import get_settings
from quotahit.team import pages as team_pages
from quotahit.ui import theme
from quotahit.usage import api as usage_api
from quotahit.usage import pages as usage_pages
from quotahit.voice import api as voice_api
from quotahit.voice import pages as voice_pages

# Pages register themselves with @rx.page when their module is imported.
PAGE_MODULES = (
    accounts_pages,
    admin_pages,
    analysis_pages,
    coach_pages,
    dashboard_pages,
    home_pages,
    keys_pages,
    outbox_pages,
    practice_pages,
    team_pages,
    usage_pages,
    voice_pages,
)

get_settings()  # fail at start-up, with the list of what is missing, in production mode

api = Starlette(
    routes=[
        Route("/api/usage", usage_api.usage_endpoint, methods=["GET"]),
        Route("/api/ai/analyze-call", analysis_api.analyze_call_endpoint, methods=["POST"]),
        Route("/api/ai/coach", coach_api.coach_endpoint, methods=["POST"]),
        Route("/api/ai/chat", coach_api.chat_endpoint, methods=["POST"]),
        Route("/api/ai/summarize", coach_api.summarize_endpoint, methods=["POST"]),
        Route("/api/ai/research", coach_api.research_endpoint, methods=["POST"]),
        Route("/api/ai/text-practice", practice_api.text_practice_endpoint, methods=["POST"]),
        Route("/api/ai/realtime-token", voice_api.realtime_token_endpoint, methods=["POST"]),
        WebSocketRoute("/api/voice/ws", voice_api.voice_socket),
        Route(
            "/api/analyses/{analysis_id:int}/audio",
            analysis_api.audio_endpoint,
            methods=["GET"],
        ),
    ]
)

app = rx.App(
    api_transformer=api,
    stylesheets=["/quotahit.css"],
    style={"font_family": theme.FONT, "background_color": theme.OBSIDIAN},
    toaster=rx.toast.provider(theme="dark", position="bottom-right"),
)
# Resumes analysis jobs a restart interrupted, and deletes recordings past their retention.
app.register_lifespan_task(analysis_jobs.resume_forever)
# Loads the local engine's embedding model in the background, so the first offline answer is quick.
app.register_lifespan_task(warmup.warm_local_engine)
app.add_page(home_pages.not_found_page, route="404", title="Page not found · QuotaHit")
